import type { DefaultIssuer } from '../core/front-door/choose-issuer.js';
import type { FrontDoorSettings } from '../core/front-door/front-door-settings.js';
import type { AddressOptions } from '../core/labels/to-container-endpoints.js';
import type { Cidr } from '../core/registrations/address-ranges.js';
import type { GrpcLimits } from './grpc-limits.js';
import type { DockerEndpoint } from './parse-docker-host.js';
import type { TlsFiles } from './tls-files.js';

/** Everything the agent is configured with, validated. Built only by `parseConfig`. */
export interface Config {
  readonly port: number;
  /** Port of the gRPC xDS server (0: a free one); undefined when it is off. */
  readonly grpcPort: number | undefined;
  /** How much of the gRPC server one client may take. */
  readonly grpcLimits: GrpcLimits;
  /** TLS of the gRPC server (mutual with a client CA); plaintext when absent. */
  readonly grpcTls: TlsFiles | undefined;
  /** TLS of the HTTP server (mutual with a client CA); plaintext when absent. */
  readonly httpTls: TlsFiles | undefined;
  readonly bind: string;
  /** Names the HTTP API may be reached by besides the ones always allowed (see `createHostCheck`). */
  readonly allowedHosts: readonly string[];
  /** The Docker engines followed: at least one, their names unique. */
  readonly engines: readonly EngineConfig[];
  /** With several engines, how long one that went away keeps its endpoints served. */
  readonly engineGraceMs: number;
  /** How long a service left with no endpoints keeps its cluster and routes (0: none). */
  readonly routeGraceMs: number;
  readonly address: AddressOptions;
  /** Whether and how often the engine's Swarm is followed. */
  readonly swarm: { readonly mode: 'auto' | 'on' | 'off'; readonly resyncMs: number };
  readonly logLevel: LogLevel;
  /** The front door's listeners the agent serves Envoy (`--listen`); none when absent. */
  readonly frontDoor: FrontDoorSettings | undefined;
  /** Certificates of services labelled `eds.tls=true`. */
  readonly tls: TlsSettings;
  /** Registrations survive restarts in this file; in memory only when absent. */
  readonly stateFile: string | undefined;
  /** Bearer token every mutating registration call needs (`--admin-token` or its file); none when absent. */
  readonly adminToken: string | undefined;
  /** Refuses every mutating registration call (Docker is then the only source). */
  readonly readOnly: boolean;
  /** Writes open to anyone although the agent listens beyond loopback with no token. */
  readonly insecureOpenWrites: boolean;
  /** What a registration must meet besides being well-formed. */
  readonly registrations: RegistrationSettings;
  /** The name of the route configuration served over RDS to Envoy's listener. */
  readonly routeConfigName: string;
  /** `/status` and `/metrics` need the admin token too. */
  readonly protectStatus: boolean;
  /** Metrics may carry cluster names as label values. */
  readonly metricsClusterLabels: boolean;
  /** How logs are written; `undefined`: pretty on a terminal, JSON otherwise. */
  readonly logFormat: LogFormat | undefined;
}

/** The `--tls-*` flags. */
export interface TlsSettings {
  /** The issuer of a service whose labels name none (`auto`: by its domain). */
  readonly issuer: DefaultIssuer;
  /** Where the CA and certificates are kept; in memory only when absent. */
  readonly store: string | undefined;
  /** The lifetime of a certificate of the internal CA. */
  readonly lifetimeMs: number;
  /** The folder of certificate files the `file` issuer reads. */
  readonly certDir: string | undefined;
  /** The ACME account; undefined without `--acme-email`. */
  readonly acme: AcmeSettings | undefined;
  /** The CA `eds.protocol=https` endpoints must chain to (`--upstream-ca`, its PEM text). */
  readonly upstreamCa: string | undefined;
}

/** The `--acme-*` flags. */
export interface AcmeSettings {
  readonly directoryUrl: string;
  readonly email: string;
  /** External account binding, for CAs that ask for it. */
  readonly eab: { readonly kid: string; readonly hmacKey: string } | undefined;
  /** A CA file the directory's HTTPS certificate chains to, besides the system's. */
  readonly caFile: string | undefined;
}

/** The `--registration*` flags. */
export interface RegistrationSettings {
  /** Ranges allowed although refused by default (loopback, link-local, ...). */
  readonly allow: readonly Cidr[];
  readonly joinDocker: boolean;
  readonly maxServices: number;
  readonly maxHostsPerService: number;
  readonly maxTagsPerHost: number;
  readonly maxTagBytes: number;
}

/** One Docker engine of `--docker-host`, with its own settings resolved. */
export interface EngineConfig {
  /** Its name: in logs, `/status`, metrics, and (with several engines) its endpoints' zone. */
  readonly name: string;
  readonly endpoint: DockerEndpoint;
  /** Its URL as given, without settings, for logs and `/status`. */
  readonly url: string;
  /** Advertised in `host` mode for the ports it published on all interfaces (`--host-ip`). */
  readonly hostIp: string;
}

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

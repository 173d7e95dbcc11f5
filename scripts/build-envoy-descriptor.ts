import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

import { ENVOY_PROTO_MESSAGES } from '../src/transports/grpc/load-envoy-protos.js';
import { loadEnvoyProtoFiles } from './load-envoy-proto-files.js';

/** Where the descriptor is written, beside the module that loads it. */
export const DESCRIPTOR_PATH = fileURLToPath(
  new URL('../src/transports/grpc/envoy-protos.json', import.meta.url),
);

/** The `.proto` files that define the messages of the proto set (`ENVOY_PROTO_MESSAGES`). */
export const DEFINING_FILES = [
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/http/basic_auth/v3/basic_auth.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/compressor/v3/compressor.proto',
  'envoy/extensions/compression/gzip/compressor/v3/gzip.proto',
  'envoy/extensions/compression/brotli/compressor/v3/brotli.proto',
  'envoy/extensions/filters/http/stateful_session/v3/stateful_session.proto',
  'envoy/extensions/http/stateful_session/cookie/v3/cookie.proto',
  'envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.proto',
  'envoy/extensions/access_loggers/filters/cel/v3/cel.proto',
];

/**
 * The descriptor the agent loads (`src/transports/grpc/envoy-protos.json`), as text: the
 * protobufjs JSON of the proto set and every type its fields refer to, one type per line, read from Envoy's
 * `.proto` files as the pinned @grpc/grpc-js-xds ships them. Only what encoding needs is kept:
 * options (the `validate.rules`, annotations), reserved ranges and comments are left out,
 * which changes no byte on the wire. Types are written in order of their full names, so the
 * same sources always give the same text.
 */
export function buildEnvoyDescriptor(): string {
  const source = loadEnvoyProtoFiles(DEFINING_FILES);
  const wanted = new Map<string, protobuf.ReflectionObject>();
  const include = (type: protobuf.ReflectionObject) => {
    const outermost = outermostType(type);
    if (wanted.has(outermost.fullName)) return;
    wanted.set(outermost.fullName, outermost);
    forEachReferencedType(outermost, include);
  };
  for (const name of ENVOY_PROTO_MESSAGES) include(source.lookupType(name));

  const json: protobuf.INamespace = {};
  for (const [fullName, type] of [...wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = fullName.slice(1).split('.');
    const name = path.pop() ?? '';
    let namespace = json;
    for (const part of path) {
      namespace.nested ??= {};
      namespace = namespace.nested[part] ??= {};
    }
    namespace.nested ??= {};
    namespace.nested[name] = stripToEncoding(type.toJSON()) as protobuf.AnyNestedObject;
  }
  return `${printNamespaces(json, '')}\n`;
}

/** JSON with one line per type, under indented namespaces: a diff names the types that changed. */
function printNamespaces(value: object, indent: string): string {
  if ('fields' in value || 'values' in value) return JSON.stringify(value);
  const inner = `${indent}  `;
  const entries = Object.entries(value as Record<string, object>).map(
    ([key, item]) => `${inner}${JSON.stringify(key)}: ${printNamespaces(item, inner)}`,
  );
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

/** A nested type is kept with the message that declares it: its outermost enclosing type. */
function outermostType(type: protobuf.ReflectionObject): protobuf.ReflectionObject {
  let outer = type;
  while (outer.parent instanceof protobuf.Type) outer = outer.parent;
  return outer;
}

/** Calls `visit` with the type of every field of `type` and of the types nested in it. */
function forEachReferencedType(
  type: protobuf.ReflectionObject,
  visit: (type: protobuf.ReflectionObject) => void,
): void {
  if (!(type instanceof protobuf.Type)) return;
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.resolvedType) visit(field.resolvedType);
  }
  for (const nested of type.nestedArray) forEachReferencedType(nested, visit);
}

const NOT_FOR_ENCODING = new Set(['options', 'reserved', 'comment']);

function stripToEncoding(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripToEncoding);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !NOT_FOR_ENCODING.has(key))
      .map(([key, item]) => [key, stripToEncoding(item)]),
  );
}

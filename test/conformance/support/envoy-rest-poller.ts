import { pollEds } from '../../support/envoy-rest-client.js';
import { checkEdsResponse } from './check-eds-response.js';

/** Counters named as Envoy's subscription stats. */
export interface PollerStats {
  update_attempt: number;
  update_success: number;
  update_rejected: number;
  update_failure: number;
  /** 304s: Envoy treats them as "no change", neither success nor failure. */
  no_change: number;
  update_empty: number;
}

/**
 * A model of Envoy's REST EDS subscription (`http_subscription_impl.cc` with `eds.cc`):
 * - the first poll has no `version_info`; later polls carry the last *accepted* version;
 * - 200: decoded and validated (see checkEdsResponse); a valid answer replaces the hosts and
 *   its version is remembered, an invalid one is rejected (hosts and version kept);
 *   `resources: []` is accepted but leaves the hosts alone ("update_empty");
 * - 304: no change; any other status, a timeout or a refused connection: failure, hosts kept;
 * - one request at a time; the next is sent `refresh_delay + random(0..refresh_delay)` after
 *   the previous one completes.
 */
export class EnvoyRestPoller {
  readonly stats: PollerStats = {
    update_attempt: 0,
    update_success: 0,
    update_rejected: 0,
    update_failure: 0,
    no_change: 0,
    update_empty: 0,
  };
  /** The hosts Envoy would have: `address:port HEALTH`, sorted. */
  hosts: string[] = [];
  acceptedVersion: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #inFlight: Promise<void> | undefined;

  constructor(
    private readonly options: {
      port: () => number;
      cluster: string;
      refreshDelayMs: number;
      requestTimeoutMs?: number;
      random?: () => number;
    },
  ) {}

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#inFlight = this.#pollOnce().finally(() => {
        const { refreshDelayMs, random = Math.random } = this.options;
        this.#schedule(refreshDelayMs + random() * refreshDelayMs);
      });
    }, delayMs);
  }

  async #pollOnce(): Promise<void> {
    this.stats.update_attempt += 1;
    const timeout = this.options.requestTimeoutMs ?? 1000;
    let reply;
    try {
      reply = await Promise.race([
        pollEds(this.options.port(), this.options.cluster, this.acceptedVersion),
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            reject(new Error('request timeout'));
          }, timeout),
        ),
      ]);
    } catch {
      this.stats.update_failure += 1;
      return;
    }
    if (reply.status === 304) {
      this.stats.no_change += 1;
      return;
    }
    if (reply.status !== 200) {
      this.stats.update_failure += 1;
      return;
    }
    if (checkEdsResponse(reply.text, this.options.cluster).length > 0) {
      this.stats.update_rejected += 1;
      return;
    }
    const response = reply.json;
    const [assignment] = response?.resources ?? [];
    this.acceptedVersion = response?.version_info;
    this.stats.update_success += 1;
    if (!assignment) {
      this.stats.update_empty += 1;
      return;
    }
    this.hosts = assignment.endpoints
      .flatMap((locality) => locality.lb_endpoints)
      .map(
        (lb) =>
          `${lb.endpoint.address.socket_address.address}:${lb.endpoint.address.socket_address.port_value} ${lb.health_status}`,
      )
      .sort();
  }
}

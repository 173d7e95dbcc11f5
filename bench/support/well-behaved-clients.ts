import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { percentile } from './percentile.js';

/** What the well-behaved clients do, each once every 10 ms. */
export const CLIENT_KINDS = ['REST poll', '/healthz', 'new ADS stream'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** One exchange of a well-behaved client. */
export interface Sample {
  readonly kind: ClientKind;
  /** When it started, wall-clock ms. */
  readonly at: number;
  readonly ms: number;
  /** Answered as expected within 3 s. */
  readonly ok: boolean;
}

/** The latency of one kind of client over a window. */
export interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly failed: number;
}

/** Clients running in a process of their own; `stop` ends them and hands over every sample. */
export interface WellBehavedClients {
  stop(): Promise<Sample[]>;
}

const PROCESS = fileURLToPath(new URL('./well-behaved-clients-process.ts', import.meta.url));

/** Starts the well-behaved clients of an agent (REST on `restPort`, ADS on `grpcPort`), asking for `cluster`. */
export async function startWellBehavedClients(
  restPort: number,
  grpcPort: number,
  cluster: string,
): Promise<WellBehavedClients> {
  const child = fork(PROCESS, [String(restPort), String(grpcPort), cluster], {
    execArgv: ['--import', 'tsx'],
  });
  const [first] = (await once(child, 'message')) as [unknown];
  if (first !== 'started') throw new Error('the well-behaved clients did not start');
  return {
    async stop() {
      const samples = once(child, 'message') as Promise<[Sample[]]>;
      const exited = once(child, 'exit');
      child.send('stop');
      const [all] = await samples;
      await exited;
      return all;
    },
  };
}

/** The latency, per kind of client, of the samples that started between `from` and `to`. */
export function latencyBetween(
  samples: readonly Sample[],
  from: number,
  to: number,
): Map<ClientKind, Latency> {
  return new Map(
    CLIENT_KINDS.map((kind) => {
      const window = samples.filter((s) => s.kind === kind && s.at >= from && s.at < to);
      const ms = window.map((s) => s.ms);
      return [
        kind,
        {
          count: window.length,
          p50: percentile(ms, 50),
          p99: percentile(ms, 99),
          max: percentile(ms, 100),
          failed: window.filter((s) => !s.ok).length,
        },
      ];
    }),
  );
}

#!/usr/bin/env node
// The image's HEALTHCHECK: asks the agent running in this container for `/healthz` at the
// port and address that its own flags and environment gave it, read from /proc, so that
// `--port` and `--bind` given as flags are followed as well as EDS_AGENT_PORT. Exit code 0
// when it answers 200 within 2 s, 1 otherwise (no agent, a bad configuration, no answer).
//
//   node dist/healthcheck.js [pid]    (the agent's pid; by default the first agent found)
import { readdirSync, readFileSync } from 'node:fs';

import { parseConfig } from './config/parse-config.js';

/** The agent's entry point: as the image starts it, or from a checkout. */
const MAIN = /(^|\/)(dist\/main\.js|src\/main\.ts)$/;

/**
 * The command line (after the script) and environment of the agent's process `only`, or of
 * the first one found; undefined when none runs.
 */
function findAgent(only?: string): { argv: string[]; env: Record<string, string> } | undefined {
  const pids =
    only === undefined ? readdirSync('/proc').filter((name) => /^\d+$/.test(name)) : [only];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    } catch {
      continue; // gone meanwhile
    }
    const script = args.findIndex((arg) => MAIN.test(arg));
    if (script < 0) continue;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const env = Object.fromEntries(
      environ
        .filter((entry) => entry.includes('='))
        .map((entry) => {
          const at = entry.indexOf('=');
          return [entry.slice(0, at), entry.slice(at + 1)];
        }),
    );
    return { argv: args.slice(script + 1), env };
  }
  return undefined;
}

/** The address to ask: the one bound, or loopback when the agent binds every address. */
function toHost(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}

async function main(): Promise<number> {
  const agent = findAgent(process.argv[2]);
  if (agent === undefined) return 1;
  const parsed = parseConfig(agent.argv, agent.env);
  if (!parsed.ok || parsed.value.kind !== 'run') return 1;
  const { port, bind } = parsed.value.config;
  const url = `http://${toHost(bind)}:${port}/healthz`;
  const reply = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return reply?.ok === true ? 0 : 1;
}

process.exitCode = await main();

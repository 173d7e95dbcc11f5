import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { findOnPath } from './find-on-path.js';
import { REPO_ROOT } from './repo-files.js';

// The tests' grpc-go greeter client (test/fixtures/grpc-go-client), a second gRPC
// implementation beside grpc-js. Built with the Go toolchain on the PATH, its modules pinned
// by go.sum and fetched from the Go module proxy.

const SOURCE = join(REPO_ROOT, 'test/fixtures/grpc-go-client');

/** The `go` command on the PATH, if any. */
export const findGo = (): string | undefined => findOnPath('go');

let built: Promise<string> | undefined;

/** Builds the client once per test process; resolves to its binary. */
export function buildGrpcGoClient(): Promise<string> {
  built ??= (async () => {
    const go = findGo();
    if (go === undefined)
      throw new Error('the grpc-go client cannot be built: no `go` on the PATH');
    const binary = join(mkdtempSync(join(tmpdir(), 'eds-agent-grpc-go-')), 'grpc-go-client');
    await promisify(execFile)(go, ['build', '-o', binary, '.'], {
      cwd: SOURCE,
      timeout: 300_000,
      env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' },
    });
    return binary;
  })();
  return built;
}

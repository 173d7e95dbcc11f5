import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

import { copyFromImage } from './copy-from-image.js';
import { TOOL_CACHE } from './tool-cache.js';

/** Set by the global setup to the static busybox the test images are built from. */
export const BUSYBOX_ENV = 'EDS_AGENT_TEST_BUSYBOX';

/** The official image the tests take busybox from when this machine has none (it is static). */
export const BUSYBOX_IMAGE = 'busybox:1.37';

const CACHED = join(TOOL_CACHE, 'busybox');
/** Where a static busybox may already be: Debian's busybox-static, or one fetched earlier. */
const LOCAL = ['/bin/busybox', '/usr/bin/busybox', CACHED];

/**
 * Whether `path` is an ELF executable with no program interpreter (PT_INTERP), i.e. one that
 * runs in an image holding nothing else: statically linked, or static-pie.
 */
export function isStaticExecutable(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    // ELF64, little endian: the only kind our machines run.
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++)
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) return false;
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A static busybox for the test images: `EDS_AGENT_TEST_BUSYBOX`, the machine's own
 * (`/bin/busybox`, Debian's busybox-static), one taken earlier from the official image, or
 * else taken now from {@link BUSYBOX_IMAGE} (`docker pull`, which needs a registry).
 * Undefined when none can be had.
 */
export async function obtainStaticBusybox(): Promise<string | undefined> {
  const given = process.env[BUSYBOX_ENV];
  if (given !== undefined && given !== '') return given;
  const found = LOCAL.find(isStaticExecutable);
  if (found !== undefined) return found;
  const copied = await copyFromImage(BUSYBOX_IMAGE, '/bin/busybox', CACHED).then(
    () => true,
    () => false,
  );
  return copied && isStaticExecutable(CACHED) ? CACHED : undefined;
}

/**
 * The busybox the global setup found or fetched, or, outside the tests (a benchmark), one
 * already on this machine; throws when there is none.
 */
export function staticBusybox(): string {
  const path = process.env[BUSYBOX_ENV] || LOCAL.find(isStaticExecutable);
  if (path === undefined)
    throw new Error('no static busybox: apt-get install busybox-static (a test skips with lacks)');
  return path;
}

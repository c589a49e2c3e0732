/**
 * File-system helpers for the local image store: atomic file writes (temp + rename), temp names
 * that carry the writer's pid (so a later process can sweep what a crashed one left behind), and
 * the apparent size of a directory tree.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A temp entry name: `<kind>-<pid>-<random>`; see {@link sweepTempDir}. */
export function tempName(kind: string): string {
  return `${kind}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Writes a file atomically: to a temp file in the same directory, then rename over the target. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${tempName('tmp')}`;
  try {
    await writeFile(tmp, data, { flush: true });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** True when a process with this pid exists (EPERM counts as alive). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the entries of `dir` named by {@link tempName} whose writing process is gone. */
export async function sweepTempDir(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^[a-z]+-(\d+)-[0-9a-f]+$/.exec(name);
    const pid = m ? Number(m[1]) : NaN;
    if (Number.isNaN(pid) || pid === process.pid || pidAlive(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Sum of the sizes of the regular files under `dir` (symlinks and directories not counted). */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await treeSize(p);
    else if (e.isFile()) total += (await lstat(p)).size;
  }
  return total;
}

/** True when `path` exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

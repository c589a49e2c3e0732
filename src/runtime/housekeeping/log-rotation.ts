/**
 * Container log rotation as the kubelet's container log manager does it: a running
 * container's log over `maxSize` bytes is renamed to `<log>.<YYYYMMDD-hhmmss>` and the runtime
 * is asked to reopen it (conmon then writes a fresh file); at most `maxFiles` files per
 * container are kept, the current one included, oldest removed first. Defaults are the
 * kubelet's `containerLogMaxSize` (10Mi) and `containerLogMaxFiles` (5). Unlike the kubelet,
 * rotated files are not gzip-compressed.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ContainerRuntime } from '../container-runtime.ts';

/** Options of {@link rotateContainerLogs}. */
export interface LogRotationOptions {
  maxSize?: number;
  maxFiles?: number;
  /** Now, for the rotated file's suffix (tests). */
  now?: Date;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The rotated name's suffix: `YYYYMMDD-hhmmss` in UTC. */
export function rotationSuffix(d: Date): string {
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/** Rotated files of `logPath`, oldest first. */
export async function rotatedFiles(logPath: string): Promise<string[]> {
  const prefix = `${basename(logPath)}.`;
  const names = await readdir(dirname(logPath)).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(prefix) && /^\d{8}-\d{6}$/.test(n.slice(prefix.length)))
    .sort()
    .map((n) => join(dirname(logPath), n));
}

/** One pass over the running containers; returns the ids whose logs were rotated. */
export async function rotateContainerLogs(
  runtime: ContainerRuntime,
  opts: LogRotationOptions = {},
): Promise<string[]> {
  const maxSize = opts.maxSize ?? 10 * 1024 * 1024;
  const maxFiles = Math.max(2, opts.maxFiles ?? 5);
  const rotated: string[] = [];
  for (const c of await runtime.listContainers()) {
    if (c.state !== 'running') continue;
    const size = await stat(c.logPath).then(
      (s) => s.size,
      () => 0,
    );
    if (size <= maxSize) continue;
    const target = `${c.logPath}.${rotationSuffix(opts.now ?? new Date())}`;
    await rename(c.logPath, target);
    await runtime.reopenContainerLog(c.id);
    rotated.push(c.id);
    const old = await rotatedFiles(c.logPath);
    for (const f of old.slice(0, Math.max(0, old.length - (maxFiles - 1))))
      await rm(f, { force: true });
  }
  return rotated;
}

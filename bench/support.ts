/** Helpers for podbay's benchmarks: a daemon in a child process, timing, statistics. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestPurge } from '../src/daemon/pid-file.ts';
import { spawnUp } from '../test/support/podbay-up.ts';

const root = new URL('..', import.meta.url).pathname;

/** A daemon started for a benchmark. */
export interface BenchDaemon {
  url: string;
  pid: number;
  /** Milliseconds from spawn to serving requests. */
  readyMs: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (0–100). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/** Resident set size of a process in MB. */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Starts `podbay up` (compiled if built) on a free port with a fresh data dir; `extraArgs` go
 * to `up` (default: no node agent, for API-only benchmarks).
 */
export async function startDaemon(
  extraArgs: string[] = ['--no-node-agent'],
  prepare?: (dataDir: string) => Promise<void>,
): Promise<BenchDaemon & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'podbay-bench-'));
  await prepare?.(dataDir);
  const t0 = performance.now();
  const child = spawnUp(dataDir, extraArgs, { compiled: true, stderr: true });
  let url = '';
  while (!url) {
    if (child.exitCode !== null) throw new Error('podbay exited during start');
    try {
      const rec = JSON.parse(readFileSync(join(dataDir, 'podbay.pid'), 'utf8')) as {
        url: string;
        pid: number;
      };
      if (rec.url && rec.pid === child.pid) url = rec.url;
    } catch {
      // not yet
    }
    if (!url) await new Promise((r) => setTimeout(r, 2));
  }
  const readyMs = performance.now() - t0;
  return {
    dataDir,
    url,
    pid: child.pid!,
    readyMs,
    child,
    stop: async () => {
      // As `podbay down --purge`: a bench's data dir goes away, so everything the daemon made
      // on the node (containers, mounts, cgroups, runtime state, network) goes with it.
      requestPurge(dataDir);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A `startDaemon` preparation that imports the busybox rootfs `tar` as `busybox:1.36`. */
export function importBusybox(tar: string): (dataDir: string) => Promise<void> {
  return (dataDir) => {
    execFileSync(process.execPath, [
      join(root, 'bin/podbay.js'),
      'image',
      'import',
      tar,
      'busybox:1.36',
      '--data-dir',
      dataDir,
    ]);
    return Promise.resolve();
  };
}

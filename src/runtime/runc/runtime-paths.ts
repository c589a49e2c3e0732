/**
 * Where the runc runtime keeps things. Persistent state (bundles, overlay upper dirs, sandbox
 * records) lives under the data directory; volatile state (runc's own state, conmon exit files
 * and attach sockets) lives on tmpfs under `/run`, in a directory derived from the data
 * directory so that two daemons with different data directories never share it.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The runtime's directories. */
export interface RuntimePaths {
  /** `<data>/runtime`: sandbox records and container bundles. */
  root: string;
  /** `/run/podbay/<hash>`. */
  run: string;
  /** `runc --root`. */
  runcRoot: string;
  /** conmon `--exit-dir`. */
  exits: string;
  /** conmon `--socket-dir-path` (kept short: unix socket paths are limited to 108 bytes). */
  sockets: string;
  /** pid files of exec sessions. */
  execs: string;
  /** Top of the runtime's cgroup tree, e.g. `podbay-1a2b3c4d`. */
  cgroupRoot: string;
}

/** Derives the runtime's paths from the daemon's data directory. */
export function runtimePaths(dataDir: string, runBase = '/run/podbay'): RuntimePaths {
  const tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
  const run = join(runBase, tag);
  return {
    root: join(dataDir, 'runtime'),
    run,
    runcRoot: join(run, 'runc'),
    exits: join(run, 'exits'),
    sockets: join(run, 's'),
    execs: join(run, 'exec'),
    cgroupRoot: `podbay-${tag}`,
  };
}

export const sandboxDir = (p: RuntimePaths, id: string): string => join(p.root, 'sandboxes', id);
export const bundleDir = (p: RuntimePaths, id: string): string => join(p.root, 'containers', id);

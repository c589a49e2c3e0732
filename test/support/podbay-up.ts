/** Runs `podbay up` as a child process for a test (the real command, its own process). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const bin = new URL('../../bin/podbay.js', import.meta.url).pathname;

/**
 * Starts `podbay up` on `dataDir` (port 0, kubeconfig inside it) with `extraArgs`; from the
 * sources unless `compiled` (then `dist/` when built, as users run it); stderr shown if asked.
 */
export function spawnUp(
  dataDir: string,
  extraArgs: string[],
  opts: { compiled?: boolean; stderr?: boolean } = {},
): ChildProcess {
  return spawn(
    process.execPath,
    [
      bin,
      'up',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--kubeconfig',
      join(dataDir, 'kc'),
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'ignore', opts.stderr ? 'inherit' : 'ignore'],
      env: opts.compiled ? process.env : { ...process.env, PODBAY_FROM_SOURCE: '1' },
    },
  );
}

/** The URL the daemon `child` serves, once its PID file says it is ready; throws if it exits. */
export async function urlOf(dataDir: string, child: ChildProcess): Promise<string> {
  for (let i = 0; i < 800; i++) {
    try {
      const rec = JSON.parse(readFileSync(join(dataDir, 'podbay.pid'), 'utf8')) as {
        pid: number;
        url: string;
      };
      if (rec.pid === child.pid && rec.url) return rec.url;
    } catch {
      // starting
    }
    if (child.exitCode !== null) throw new Error('podbay up exited');
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('podbay up did not start');
}

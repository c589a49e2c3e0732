/**
 * runc 1.1 copies its own 8 MB binary into a sealed memfd every time it starts a container
 * process (`runc init`, for create and exec alike), so that a container can never overwrite
 * the host's runc (CVE-2019-5736). runc skips that copy when the binary it runs from is on a
 * read-only mount and `_LIBCONTAINER_CLONED_BINARY` is set (runc's cloned_binary.c: the
 * read-only mount gives the same protection). The runtime therefore runs runc from a read-only
 * bind mount of the host binary under its run directory, which saves ~15 ms of CPU per
 * container start and per exec here. Later runc versions protect themselves otherwise and
 * ignore the variable; if the mount cannot be made, runc is used from where it is.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../lib/command.ts';
import type { Logger } from '../../lib/log.ts';
import { unmountAll } from './mounts.ts';

/** The variable runc checks before trusting a read-only binary. */
export const clonedBinaryEnv = '_LIBCONTAINER_CLONED_BINARY';

/** Whether `a` and `b` are the same file (a bind mount of a file shares its inode). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a), stat(b)]).catch(() => [undefined, undefined]);
  return !!x && !!y && x.dev === y.dev && x.ino === y.ino;
}

/**
 * Bind-mounts `runc` read-only at `<runDir>/runc.bin` (idempotent; re-made when the host binary was
 * replaced) and returns the path to run; falls back to `runc` itself on failure.
 */
export async function sealedRunc(runc: string, runDir: string, log?: Logger): Promise<string> {
  const target = join(runDir, 'runc.bin');
  try {
    if (await sameFile(runc, target)) return target;
    await unmountAll(target);
    await writeFile(target, '', { mode: 0o555 });
    await runCommand('mount', ['--bind', '-o', 'ro', runc, target]);
    if (!(await sameFile(runc, target))) throw new Error(`bind mount of ${runc} not in place`);
    return target;
  } catch (err: unknown) {
    log?.warn('Running runc from its own path (no read-only bind mount)', { runc, err });
    return runc;
  }
}

/** Removes the read-only bind mount (when the runtime's state is purged). */
export async function releaseSealedRunc(runDir: string): Promise<void> {
  const target = join(runDir, 'runc.bin');
  await unmountAll(target);
  await rm(target, { force: true });
}

/** The environment runc is run with (the variable is harmless for a writable binary). */
export function runcEnv(): NodeJS.ProcessEnv {
  return { ...process.env, [clonedBinaryEnv]: '1' };
}

/**
 * hostPath volumes: the host path itself is bind-mounted (nothing is copied). Its `type` is
 * checked, and created for the `…OrCreate` types, as the kubelet does: a directory with mode 0755
 * (parents included), or an empty file with mode 0644 whose parent must already exist.
 */
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { SetUpError } from './volume-error.ts';

const strerror: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
};

/** A Node fs error worded as Go's (`open /x/y: no such file or directory`). */
export function goErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e.code || !e.syscall) return e.message ?? String(err);
  return `${e.syscall} ${e.path ?? ''}: ${strerror[e.code] ?? e.code.toLowerCase()}`;
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  return stat(p).catch(() => undefined);
}

const checks: Record<string, [(s: Stats) => boolean, string]> = {
  Directory: [(s) => s.isDirectory(), 'is not a directory'],
  File: [(s) => s.isFile(), 'is not a file'],
  Socket: [(s) => s.isSocket(), 'is not a socket file'],
  CharDevice: [(s) => s.isCharacterDevice(), 'is not a character device'],
  BlockDevice: [(s) => s.isBlockDevice(), 'is not a block device'],
};

/** Checks (and for `DirectoryOrCreate`/`FileOrCreate` creates) the host path for its `type`. */
export async function setUpHostPath(path: string, type: string | undefined): Promise<void> {
  if (!type) return;
  let kind = type;
  if (type === 'DirectoryOrCreate' || type === 'FileOrCreate') {
    if (!(await statOrUndefined(path))) {
      try {
        if (type === 'DirectoryOrCreate') await mkdir(path, { recursive: true, mode: 0o755 });
        else await (await open(path, 'a', 0o644)).close();
      } catch (err: unknown) {
        throw new SetUpError(goErrorText(err));
      }
      return;
    }
    kind = type === 'DirectoryOrCreate' ? 'Directory' : 'File';
  }
  const check = checks[kind];
  if (!check) throw new SetUpError(`${type} is an invalid volume type`);
  const st = await statOrUndefined(path);
  if (!st || !check[0](st)) {
    throw new SetUpError(`hostPath type check failed: ${path} ${check[1]}`);
  }
}

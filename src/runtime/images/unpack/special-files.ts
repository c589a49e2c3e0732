import { spawn } from 'node:child_process';

/**
 * Node 20 has no mknod and no setxattr, so device nodes, FIFOs and extended attributes are made
 * by spawning the `mknod` (coreutils) and `setfattr` (Debian package `attr`) binaries; when
 * `setfattr` is missing, python3's os.setxattr is used instead.
 */

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} exited ${String(code)}: ${err.trim().slice(-300)}`));
    });
  });
}

/** Creates a character device, block device or FIFO at `path` (which must not exist). */
export function makeNode(
  path: string,
  kind: 'char' | 'block' | 'fifo',
  major = 0,
  minor = 0,
): Promise<void> {
  if (kind === 'fifo') return run('mknod', ['--', path, 'p']);
  return run('mknod', ['--', path, kind === 'char' ? 'c' : 'b', String(major), String(minor)]);
}

let setfattrMissing = false;

/** Sets an extended attribute on `path` itself (never following a symlink). */
export async function setXattr(path: string, name: string, value: Buffer): Promise<void> {
  if (!setfattrMissing) {
    try {
      await run('setfattr', ['-h', '-n', name, '-v', `0x${value.toString('hex')}`, '--', path]);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      setfattrMissing = true;
    }
  }
  await run('python3', [
    '-c',
    'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)',
    path,
    name,
    value.toString('hex'),
  ]);
}

/** Reads an extended attribute of `path` (for tests and checks); undefined when absent. */
export function getXattr(path: string, name: string): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn('getfattr', ['-h', '-e', 'hex', '-n', name, '--', path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        resolve(undefined);
        return;
      }
      const m = /=0x([0-9a-f]*)/.exec(out);
      resolve(m?.[1] !== undefined ? Buffer.from(m[1], 'hex') : undefined);
    });
  });
}

import { spawn } from 'node:child_process';
import { copyFile, chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a command and rejects with its stderr when it exits non-zero. */
function run(cmd: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${String(code)}: ${err.slice(-500)}`));
    });
  });
}

/** Builds (once, cached) a flat busybox rootfs tarball from busybox-static and returns its path. */
export async function buildBusyboxRootfs(
  opts: { cacheDir?: string; busybox?: string; signal?: AbortSignal } = {},
): Promise<string> {
  const cacheDir = opts.cacheDir ?? join(tmpdir(), 'podbay-test-images');
  const busybox = opts.busybox ?? '/bin/busybox';
  const tarPath = join(cacheDir, 'busybox-rootfs-v2.tar');
  try {
    await stat(tarPath);
    return tarPath;
  } catch {
    // not cached yet
  }
  await mkdir(cacheDir, { recursive: true });
  const root = await mkdtemp(join(cacheDir, 'build-'));
  await chmod(root, 0o755); // the tar's `./` entry becomes the image's `/`
  try {
    for (const d of [
      'bin',
      'sbin',
      'usr/bin',
      'usr/sbin',
      'etc',
      'proc',
      'sys',
      'dev',
      'tmp',
      'root',
      'run',
      'var',
    ]) {
      await mkdir(join(root, d), { recursive: true });
    }
    await chmod(join(root, 'tmp'), 0o1777);
    await copyFile(busybox, join(root, 'bin/busybox'));
    await chmod(join(root, 'bin/busybox'), 0o755);
    const list = await run(busybox, ['--list-full'], opts.signal);
    for (const full of list.split('\n').filter((l) => l.length > 0)) {
      if (full === 'bin/busybox') continue;
      const depth = full.split('/').length - 1;
      const target = full.startsWith('bin/') ? 'busybox' : `${'../'.repeat(depth)}bin/busybox`;
      await symlink(target, join(root, full)).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      });
    }
    await writeFile(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    const tmpTar = `${tarPath}.${process.pid}.tmp`;
    await run('tar', ['--numeric-owner', '-C', root, '-cf', tmpTar, '.'], opts.signal);
    await run('mv', ['-f', tmpTar, tarPath], opts.signal);
    return tarPath;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

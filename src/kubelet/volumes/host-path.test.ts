import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpHostPath } from './host-path.ts';

const root = await mkdtemp(join(tmpdir(), 'podbay-hp-'));
after(() => rm(root, { recursive: true, force: true }));
const dir = join(root, 'dir');
const file = join(root, 'file');
await mkdir(dir);
await writeFile(file, 'x');

test('an unset type checks nothing', async () => {
  await setUpHostPath(join(root, 'missing'), undefined);
  await setUpHostPath(join(root, 'missing'), '');
});

test('DirectoryOrCreate creates the directory (and parents) with mode 0755, then checks it', async () => {
  const p = join(root, 'new/a/b');
  await setUpHostPath(p, 'DirectoryOrCreate');
  const st = await stat(p);
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o755);
  await setUpHostPath(p, 'DirectoryOrCreate');
  await assert.rejects(
    setUpHostPath(file, 'DirectoryOrCreate'),
    new RegExp(`^SetUpError: hostPath type check failed: ${file} is not a directory$`),
  );
});

test('FileOrCreate creates an empty 0644 file; its parent must exist', async () => {
  const p = join(root, 'touched');
  await setUpHostPath(p, 'FileOrCreate');
  const st = await stat(p);
  assert.ok(st.isFile());
  assert.equal(st.size, 0);
  assert.equal(st.mode & 0o777, 0o644);
  const orphan = join(root, 'nope/f');
  await assert.rejects(setUpHostPath(orphan, 'FileOrCreate'), {
    message: `open ${orphan}: no such file or directory`,
  });
  await assert.rejects(setUpHostPath(dir, 'FileOrCreate'), {
    message: `hostPath type check failed: ${dir} is not a file`,
  });
});

test('Directory, File, Socket, CharDevice and BlockDevice check the kind with the kubelet messages', async () => {
  await setUpHostPath(dir, 'Directory');
  await setUpHostPath(file, 'File');
  await setUpHostPath('/dev/null', 'CharDevice');
  const missing = join(root, 'missing');
  const cases: [string, string, string][] = [
    [missing, 'Directory', 'is not a directory'],
    [file, 'Directory', 'is not a directory'],
    [dir, 'File', 'is not a file'],
    [missing, 'File', 'is not a file'],
    [file, 'Socket', 'is not a socket file'],
    [file, 'CharDevice', 'is not a character device'],
    ['/dev/null', 'BlockDevice', 'is not a block device'],
  ];
  for (const [p, type, what] of cases) {
    await assert.rejects(setUpHostPath(p, type), {
      message: `hostPath type check failed: ${p} ${what}`,
    });
  }
  await assert.rejects(setUpHostPath(dir, 'Pipe'), { message: 'Pipe is an invalid volume type' });
});

test('Socket accepts a listening unix socket', async () => {
  const sock = join(root, 's.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    await setUpHostPath(sock, 'Socket');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalImageStore } from '../../runtime/images/local-image-store.ts';
import { runPodbay, type PodbayRun } from '../testing/run-podbay.ts';
import { humanSize, imageRows, parseCommandFlag } from './image.ts';

let work: string;
let dataDir: string;
let tar: string;

const podbay = (...args: string[]): Promise<PodbayRun> => runPodbay(args);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-image-cli-'));
  dataDir = join(work, 'data');
  const src = join(work, 'rootfs');
  await mkdir(join(src, 'bin'), { recursive: true });
  await writeFile(join(src, 'bin/app'), 'x'.repeat(5000));
  tar = join(work, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '-C', src, '-cf', tar, '.']);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('podbay image', () => {
  test('import, ls and rm against a data directory', async () => {
    const imported = await podbay(
      'image',
      'import',
      tar,
      'tools/app:1.0',
      '--entrypoint',
      '["/bin/app","--serve"]',
      '--cmd',
      'a b',
      '--env',
      'A=1',
      '--env',
      'PATH=/bin',
      '--workdir',
      '/srv',
      '--user',
      'nobody',
      '--data-dir',
      dataDir,
    );
    assert.equal(imported.code, 0, imported.stderr);
    const id = imported.stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);

    const store = new LocalImageStore({ root: join(dataDir, 'images') });
    const info = await store.imageStatus('docker.io/tools/app:1.0');
    assert.equal(info?.id, id);
    assert.deepEqual(info?.config, {
      entrypoint: ['/bin/app', '--serve'],
      cmd: ['a', 'b'],
      env: ['A=1', 'PATH=/bin'],
      workingDir: '/srv',
      user: 'nobody',
    });

    assert.equal((await podbay('image', 'import', tar, 'second', '--data-dir', dataDir)).code, 0);
    assert.ok(await store.imageStatus('second'), 'a running store sees another process import');
    const ls = await podbay('image', 'ls', '--data-dir', dataDir);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^IMAGE\s+TAG\s+DIGEST\s+IMAGE ID\s+SIZE$/);
    assert.match(
      lines[1]!,
      /^docker\.io\/library\/second\s+latest\s+<none>\s+[0-9a-f]{12}\s+10\.2kB$/,
    );
    assert.match(
      lines[2]!,
      new RegExp(`^docker\\.io/tools/app\\s+1\\.0\\s+<none>\\s+${id.slice(7, 19)}\\s+10\\.2kB$`),
    );
    assert.equal(lines.length, 3);

    const rm1 = await podbay('image', 'rm', 'tools/app:1.0', 'missing', '--data-dir', dataDir);
    assert.equal(rm1.code, 1);
    assert.equal(rm1.stdout, `Untagged: docker.io/tools/app:1.0\nDeleted: ${id}\n`);
    assert.equal(rm1.stderr, 'error: image "missing" not found\n');
    assert.equal((await readdir(join(dataDir, 'images', 'layers'))).length, 1);

    const rm2 = await podbay('image', 'rm', 'second', '--data-dir', dataDir);
    assert.equal(rm2.code, 0, rm2.stderr);
    assert.deepEqual(await readdir(join(dataDir, 'images', 'layers')), []);
    const empty = await podbay('image', 'ls', '--data-dir', dataDir);
    assert.equal(empty.stdout.trim(), 'IMAGE   TAG   DIGEST   IMAGE ID   SIZE');
  });

  test('errors: image in use, bad tar and missing file exit 1, usage mistakes exit 2', async () => {
    const notTar = join(work, 'not.tar');
    await writeFile(notTar, 'plain text, not an archive\n'.repeat(50));
    const store = new LocalImageStore({ root: join(dataDir, 'images') });
    await store.importRootfs(tar, 'busy');
    await store.leaseImage('ctr-9', 'busy');
    const [inUse, bad, missing, usage, badEnv, unknown] = await Promise.all([
      podbay('image', 'rm', 'busy', '--data-dir', dataDir),
      podbay('image', 'import', notTar, 'x', '--data-dir', dataDir),
      podbay('image', 'import', join(work, 'nope.tar'), 'x', '--data-dir', dataDir),
      podbay('image', 'import', tar, '--data-dir', dataDir),
      podbay('image', 'import', tar, 'x', '--env', 'NOEQUALS', '--data-dir', dataDir),
      podbay('image', 'frobnicate'),
    ]);
    assert.equal(inUse.code, 1);
    assert.match(
      inUse.stderr,
      /^error: cannot remove "busy": image sha256:\S+ is in use by ctr-9\n$/,
    );
    assert.ok(await store.imageStatus('busy'));
    await store.releaseImage('ctr-9');
    await store.removeImage('busy');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: .*not\.tar is not a valid rootfs tarball \(tar exited 2\)/);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: cannot read ".*nope\.tar": no such file/);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^error: image import takes ROOTFS\.tar and NAME/);
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /--env "NOEQUALS": want NAME=VALUE/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: unknown image command "frobnicate"/);
    assert.deepEqual(await readdir(join(dataDir, 'images', 'tmp')), []);
  });
});

describe('podbay image helpers', () => {
  test('humanSize follows crictl (3 significant digits, decimal units)', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1500), '1.5kB');
    assert.equal(humanSize(2_140_160), '2.14MB');
    assert.equal(humanSize(77_834_123), '77.8MB');
    assert.equal(humanSize(1_230_000_000), '1.23GB');
  });

  test('parseCommandFlag takes JSON arrays or words', () => {
    assert.deepEqual(parseCommandFlag('cmd', '["sh", "-c", "echo a b"]'), ['sh', '-c', 'echo a b']);
    assert.deepEqual(parseCommandFlag('cmd', ' sleep   3600 '), ['sleep', '3600']);
    assert.deepEqual(parseCommandFlag('cmd', ''), []);
    assert.throws(() => parseCommandFlag('cmd', '[1]'), /want a JSON array of strings/);
    assert.throws(() => parseCommandFlag('cmd', '[oops'), /invalid JSON/);
  });

  test('imageRows: one row per tag, untagged images show <none>', () => {
    const rows = imageRows([
      {
        id: 'sha256:' + 'a'.repeat(64),
        repoTags: ['docker.io/library/b:1', 'docker.io/library/a:2'],
        repoDigests: ['docker.io/library/a@sha256:' + 'e'.repeat(64)],
        size: 1000,
        config: {},
      },
      {
        id: 'sha256:' + 'b'.repeat(64),
        repoTags: [],
        repoDigests: ['localhost:5000/x@sha256:' + 'c'.repeat(64)],
        size: 10,
        config: {},
      },
      { id: 'sha256:' + 'd'.repeat(64), repoTags: [], repoDigests: [], size: 1, config: {} },
    ]);
    assert.deepEqual(rows, [
      ['<none>', '<none>', '<none>', 'd'.repeat(12), '1B'],
      ['docker.io/library/a', '2', 'e'.repeat(12), 'a'.repeat(12), '1kB'],
      ['docker.io/library/b', '1', '<none>', 'a'.repeat(12), '1kB'],
      ['localhost:5000/x', '<none>', 'c'.repeat(12), 'b'.repeat(12), '10B'],
    ]);
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { buildBusyboxRootfs } from '../../../test/support/images/busybox-rootfs.ts';
import { extractRootfsTar, importName } from './local-import.ts';
import { LocalImageStore } from './local-image-store.ts';

const isRoot = process.getuid?.() === 0;
const hasSetcap = isRoot && existsSync('/usr/sbin/setcap') && existsSync('/usr/sbin/getcap');
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-import-test-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Every path under `dir`, relative, sorted. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('importRootfs', () => {
  test('keeps owners, modes and symlinks; plain and gzip tars give the same layer', async () => {
    const src = join(work, 'owners');
    await mkdir(join(src, 'srv/data'), { recursive: true });
    await writeFile(join(src, 'srv/data/log'), 'x');
    await writeFile(join(src, 'srv/tool'), '#!/bin/sh\n');
    await chmod(join(src, 'srv/tool'), 0o4755);
    await chmod(join(src, 'srv/data'), 0o1777);
    await symlink('/etc/hostname', join(src, 'srv/abs-link'));
    if (isRoot) await chown(join(src, 'srv/data/log'), 33, 4);
    const tar = join(work, 'owners.tar');
    execFileSync('tar', ['--numeric-owner', '-C', src, '-cf', tar, '.']);
    const gz = join(work, 'owners.tgz');
    await writeFile(gz, gzipSync(readFileSync(tar)));

    const store = new LocalImageStore({ root: join(work, 'store-owners') });
    const plain = await store.importRootfs(tar, 'owners:plain');
    const zipped = await store.importRootfs(gz, 'owners:gzip');
    assert.equal(plain.id, zipped.id, 'the diff_id is of the uncompressed bytes');
    assert.equal(zipped.size, readFileSync(tar).length);
    const [dir] = await store.lowerDirs('owners:gzip');
    const mode = (p: string): number => lstatSync(join(dir!, p)).mode & 0o7777;
    assert.equal(mode('srv/tool'), 0o4755);
    assert.equal(mode('srv/data'), 0o1777);
    assert.equal(readlinkSync(join(dir!, 'srv/abs-link')), '/etc/hostname');
    if (isRoot) {
      const st = lstatSync(join(dir!, 'srv/data/log'));
      assert.deepEqual([st.uid, st.gid], [33, 4]);
    }
  });

  test(
    'file capabilities survive the import',
    { skip: !hasSetcap && 'needs root and setcap' },
    async () => {
      const src = join(work, 'caps');
      await mkdir(src, { recursive: true });
      await writeFile(join(src, 'ping'), 'binary');
      execFileSync('setcap', ['cap_net_raw+ep', join(src, 'ping')]);
      const tar = join(work, 'caps.tar');
      execFileSync('tar', [
        '--xattrs',
        '--xattrs-include=security.capability',
        '-C',
        src,
        '-cf',
        tar,
        '.',
      ]);
      const store = new LocalImageStore({ root: join(work, 'store-caps') });
      await store.importRootfs(tar, 'caps');
      const [dir] = await store.lowerDirs('caps');
      assert.match(execFileSync('getcap', [join(dir!, 'ping')]).toString(), /cap_net_raw[=+]ep/);
    },
  );

  test('an aborted import stops and leaves nothing', async () => {
    const tar = join(work, 'abort.tar');
    await writeFile(join(work, 'abort-file'), 'x');
    execFileSync('tar', ['-C', work, '-cf', tar, 'abort-file']);
    const root = join(work, 'store-abort');
    const store = new LocalImageStore({ root });
    const ac = new AbortController();
    const p = store.importRootfs(tar, 'aborted', {}, ac.signal);
    ac.abort(new Error('user interrupt'));
    await assert.rejects(p, /user interrupt/);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(await readdir(join(root, 'layers')), []);
  });

  test(
    'lowerDirs mount as an overlay, top layer winning',
    { skip: !isRoot && 'needs root' },
    async () => {
      const src = join(work, 'overlay-base');
      await mkdir(join(src, 'etc'), { recursive: true });
      await writeFile(join(src, 'etc/who'), 'base');
      await writeFile(join(src, 'etc/base-only'), 'b');
      const tar = join(work, 'overlay-base.tar');
      execFileSync('tar', ['-C', src, '-cf', tar, '.']);
      const store = new LocalImageStore({ root: join(work, 'store-overlay') });
      await store.importRootfs(tar, 'base');
      const baseDiffId = sha256(readFileSync(tar));
      const topDiffId = sha256(Buffer.from('top layer'));
      await store.putLayer(topDiffId, async (dir) => {
        await mkdir(join(dir, 'etc'));
        await writeFile(join(dir, 'etc/who'), 'top');
      });
      const config = { rootfs: { type: 'layers', diff_ids: [baseDiffId, topDiffId] } };
      await store.putImage(Buffer.from(JSON.stringify(config)), ['stacked'], []);
      const lower = await store.lowerDirs('stacked');
      const merged = join(work, 'merged');
      await mkdir(merged);
      execFileSync('mount', [
        '-t',
        'overlay',
        'overlay',
        '-o',
        `lowerdir=${lower.join(':')}`,
        merged,
      ]);
      try {
        assert.equal(readFileSync(join(merged, 'etc/who'), 'utf8'), 'top');
        assert.equal(readFileSync(join(merged, 'etc/base-only'), 'utf8'), 'b');
      } finally {
        execFileSync('umount', [merged]);
      }
    },
  );

  test('bytes after the end-of-archive marker still count in the diff_id', async () => {
    const src = join(work, 'padded');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'f'), 'padded');
    const tar = join(work, 'padded.tar');
    execFileSync('tar', ['-C', src, '-cf', tar, '.']);
    const bytes = Buffer.concat([readFileSync(tar), Buffer.alloc(300_000)]);
    await writeFile(tar, bytes);
    const out = join(work, 'padded-out');
    await mkdir(out);
    const layer = await extractRootfsTar(tar, out);
    assert.deepEqual(layer, { diffId: sha256(bytes), size: bytes.length });
    assert.equal(readFileSync(join(out, 'f'), 'utf8'), 'padded');
  });

  test('a ../ member does not escape the layer directory', async () => {
    const src = join(work, 'evil-src', 'inner');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'ok.txt'), 'fine');
    await writeFile(join(work, 'evil-src', 'evil'), 'escaped');
    const tar = join(work, 'evil.tar');
    // -P keeps the "../evil" member name as written.
    execFileSync('tar', ['-P', '-C', src, '-cf', tar, 'ok.txt', '../evil']);
    assert.match(execFileSync('tar', ['-tPf', tar]).toString(), /^\.\.\/evil$/m);

    const target = join(work, 'evil-out', 'a', 'fs');
    await mkdir(target, { recursive: true });
    await assert.rejects(extractRootfsTar(tar, target), /Member name contains '\.\.'/);
    assert.equal(existsSync(join(work, 'evil-out', 'a', 'evil')), false);
    assert.equal(existsSync(join(work, 'evil-out', 'evil')), false);

    const root = join(work, 'store-evil');
    const store = new LocalImageStore({ root });
    await assert.rejects(store.importRootfs(tar, 'evil'), /not a valid rootfs tarball/);
    assert.deepEqual(
      (await listTree(root)).filter((p) => p.includes('evil')),
      [],
      'nothing named evil anywhere in the store',
    );
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(await readdir(join(root, 'layers')), []);
  });

  test('import names follow the reference grammar', () => {
    assert.equal(importName('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(importName('localhost:5000/a/b_c:v1.2-x'), 'localhost:5000/a/b_c:v1.2-x');
    assert.throws(() => importName('Upper'), /invalid image name "Upper": path components/);
    assert.throws(() => importName('a//b'), /path components/);
    assert.throws(() => importName('app:-bad'), /invalid tag in "app:-bad"/);
  });

  test('zstd tarballs and digest names are refused with a clear message', async () => {
    const z = join(work, 'x.tar.zst');
    await writeFile(z, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
    const store = new LocalImageStore({ root: join(work, 'store-zstd') });
    await assert.rejects(store.importRootfs(z, 'z'), /zstd-compressed tarballs are not supported/);
    await assert.rejects(
      store.importRootfs(z, 'z@sha256:' + 'a'.repeat(64)),
      /takes a tag, not a digest/,
    );
  });

  const noBusybox = !existsSync('/bin/busybox') && 'needs /bin/busybox (busybox-static)';
  test('the busybox rootfs imports into a runnable tree', { skip: noBusybox }, async () => {
    const tar = await buildBusyboxRootfs({ cacheDir: join(work, 'bb-cache') });
    const store = new LocalImageStore({ root: join(work, 'store-bb') });
    const info = await store.importRootfs(tar, 'busybox:test', { entrypoint: ['/bin/sh'] });
    assert.deepEqual(info.config.entrypoint, ['/bin/sh']);
    const [dir] = await store.lowerDirs('busybox:test');
    const out = execFileSync(join(dir!, 'bin/busybox'), ['echo', 'ok']).toString();
    assert.equal(out.trim(), 'ok');
    assert.equal(readlinkSync(join(dir!, 'bin/sh')), 'busybox');
  });
});

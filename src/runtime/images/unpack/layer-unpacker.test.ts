import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { unpackLayer, UnsafeLayerError } from './layer-unpacker.ts';
import { getXattr } from './special-files.ts';

interface TarEntry {
  header: Partial<tar.Header> & { name: string };
  content?: string | Buffer;
}

async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(e.header, e.content ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const isRoot = process.getuid?.() === 0;
const hasSetfattr = spawnSync('setfattr', ['--version']).status === 0;
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('unpackLayer', () => {
  let work: string;
  let n = 0;
  const fresh = (): string => {
    const d = join(work, `layer-${String(n++)}`);
    mkdirSync(d);
    return d;
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'podbay-unpack-'));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps modes, owners, mtimes, symlinks, hard links and FIFOs; diffId = sha256 of the tar', async () => {
    const mtime = new Date(1700000000 * 1000);
    const bytes = await makeTar([
      { header: { name: './', type: 'directory', mode: 0o755, mtime } },
      { header: { name: './bin/', type: 'directory', mode: 0o755, mtime } },
      { header: { name: './bin/tool', mode: 0o4755, uid: 0, gid: 42, mtime }, content: 'ELF' },
      { header: { name: './tmp/', type: 'directory', mode: 0o1777, mtime } },
      { header: { name: './var/log/x.log', mode: 0o640, uid: 33, gid: 4, mtime }, content: 'l' },
      { header: { name: './var/lock', type: 'symlink', linkname: '/run/lock', mtime } },
      { header: { name: './bin/sh', type: 'symlink', linkname: 'tool', mtime } },
      { header: { name: './bin/tool2', type: 'link', linkname: './bin/tool', mtime } },
      { header: { name: './run/fifo', type: 'fifo', mode: 0o600, mtime } },
      { header: { name: `./deep/${'d'.repeat(120)}/file`, mode: 0o644, mtime }, content: 'long' },
    ]);
    const dir = fresh();
    const res = await unpackLayer(Readable.from([bytes]), dir);
    assert.equal(res.diffId, sha(bytes));
    assert.equal(res.size, bytes.length);
    const tool = lstatSync(join(dir, 'bin/tool'));
    assert.equal(tool.mode & 0o7777, 0o4755);
    assert.equal(readFileSync(join(dir, 'bin/tool'), 'utf8'), 'ELF');
    assert.equal(tool.mtimeMs, mtime.getTime());
    assert.equal(tool.nlink, 2);
    assert.equal(lstatSync(join(dir, 'bin/tool2')).ino, tool.ino);
    assert.equal(lstatSync(join(dir, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(lstatSync(join(dir, 'bin')).mtimeMs, mtime.getTime());
    assert.equal(readlinkSync(join(dir, 'var/lock')), '/run/lock');
    assert.equal(lstatSync(join(dir, 'var/lock')).mtimeMs, mtime.getTime());
    assert.equal(readlinkSync(join(dir, 'bin/sh')), 'tool');
    assert.ok(lstatSync(join(dir, 'run/fifo')).isFIFO());
    assert.equal(readFileSync(join(dir, `deep/${'d'.repeat(120)}/file`), 'utf8'), 'long');
    if (isRoot) {
      assert.equal(tool.gid, 42);
      const log = lstatSync(join(dir, 'var/log/x.log'));
      assert.deepEqual([log.uid, log.gid, log.mode & 0o777], [33, 4, 0o640]);
    }
  });

  it('detects gzip and zstd by magic bytes and reports the uncompressed diffId', async () => {
    const bytes = await makeTar([{ header: { name: 'a.txt' }, content: 'hello' }]);
    const gz = gzipSync(bytes);
    const d1 = fresh();
    assert.equal((await unpackLayer(Readable.from([gz]), d1)).diffId, sha(bytes));
    assert.equal(readFileSync(join(d1, 'a.txt'), 'utf8'), 'hello');
    const zst = spawnSync('zstd', ['-c', '-q'], { input: bytes });
    if (zst.status === 0) {
      const d2 = fresh();
      assert.equal((await unpackLayer(Readable.from([zst.stdout]), d2)).diffId, sha(bytes));
      assert.equal(readFileSync(join(d2, 'a.txt'), 'utf8'), 'hello');
    }
  });

  it('refuses ../ traversal and clamps absolute names inside the layer', async () => {
    const outside = join(work, 'outside-trav');
    mkdirSync(outside);
    const dir = fresh();
    const ok = await makeTar([{ header: { name: '/abs/file' }, content: 'x' }]);
    await unpackLayer(Readable.from([ok]), dir);
    assert.equal(readFileSync(join(dir, 'abs/file'), 'utf8'), 'x');
    const bad = await makeTar([
      { header: { name: `../${'../'.repeat(5)}outside-trav/pwned` }, content: 'x' },
    ]);
    await assert.rejects(unpackLayer(Readable.from([bad]), fresh()), UnsafeLayerError);
    assert.deepEqual(readdirSync(outside), []);
  });

  it('never writes through a symlink (parent symlink, replaced symlink, hard link via symlink)', async () => {
    const outside = join(work, 'outside-link');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'original');
    const viaParent = await makeTar([
      { header: { name: 'evil', type: 'symlink', linkname: outside } },
      { header: { name: 'evil/pwned' }, content: 'x' },
    ]);
    await assert.rejects(
      unpackLayer(Readable.from([viaParent]), fresh()),
      /parent evil is a symlink/,
    );
    const replace = await makeTar([
      { header: { name: 'evil', type: 'symlink', linkname: join(outside, 'keep') } },
      { header: { name: 'evil' }, content: 'overwritten' },
    ]);
    const d = fresh();
    await unpackLayer(Readable.from([replace]), d);
    assert.ok(lstatSync(join(d, 'evil')).isFile());
    const viaRelative = await makeTar([
      { header: { name: 'up', type: 'symlink', linkname: '../../../../../../../..' } },
      { header: { name: `up${outside}/pwned` }, content: 'x' },
    ]);
    await assert.rejects(unpackLayer(Readable.from([viaRelative]), fresh()), UnsafeLayerError);
    const hard = await makeTar([
      { header: { name: 'evil', type: 'symlink', linkname: outside } },
      { header: { name: 'h', type: 'link', linkname: 'evil/keep' } },
    ]);
    await assert.rejects(unpackLayer(Readable.from([hard]), fresh()), UnsafeLayerError);
    const hardUp = await makeTar([
      { header: { name: 'h', type: 'link', linkname: '../outside-link/keep' } },
    ]);
    await assert.rejects(unpackLayer(Readable.from([hardUp]), fresh()), UnsafeLayerError);
    assert.deepEqual(readdirSync(outside), ['keep']);
    assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'original');
    assert.equal(lstatSync(join(outside, 'keep')).nlink, 1);
  });

  it(
    'converts whiteouts to overlayfs form',
    { skip: !isRoot && 'needs root (mknod)' },
    async () => {
      const bytes = await makeTar([
        { header: { name: 'var/www/', type: 'directory', mode: 0o755 } },
        { header: { name: 'var/www/new.html' }, content: 'new' },
        { header: { name: 'var/www/.wh..wh..opq' } },
        { header: { name: 'data/.wh.remove-me.txt' } },
        { header: { name: '.wh..wh.plnk' } },
      ]);
      const dir = fresh();
      const skipped: string[] = [];
      await unpackLayer(Readable.from([bytes]), dir, { onSkip: (p) => skipped.push(p) });
      const wh = lstatSync(join(dir, 'data/remove-me.txt'));
      assert.ok(wh.isCharacterDevice());
      assert.equal(wh.rdev, 0);
      assert.ok(!existsSync(join(dir, 'data/.wh.remove-me.txt')));
      assert.ok(!existsSync(join(dir, 'var/www/.wh..wh..opq')));
      assert.equal(readFileSync(join(dir, 'var/www/new.html'), 'utf8'), 'new');
      if (hasSetfattr) {
        assert.equal(
          (await getXattr(join(dir, 'var/www'), 'trusted.overlay.opaque'))?.toString(),
          'y',
        );
        assert.equal(await getXattr(join(dir, 'data'), 'trusted.overlay.opaque'), undefined);
      }
      assert.deepEqual(skipped, ['.wh..wh.plnk']);
      for (const name of ['.wh.', '.wh..', 'x/.wh..']) {
        const bad = await makeTar([{ header: { name } }]);
        await assert.rejects(unpackLayer(Readable.from([bad]), fresh()), UnsafeLayerError, name);
      }
      const notFile = await makeTar([
        { header: { name: '.wh.x', type: 'symlink', linkname: '/' } },
      ]);
      await assert.rejects(unpackLayer(Readable.from([notFile]), fresh()), /not a regular file/);
    },
  );

  it('keeps binary xattrs from pax headers byte for byte', async (t) => {
    const src = join(work, 'xattr-src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'plain'), 'p');
    writeFileSync(join(src, 'd', 'n'.repeat(120)), 'long name');
    writeFileSync(join(src, 'caps'), 'c');
    const set = spawnSync('setfattr', ['-n', 'user.bin', '-v', '0xff00fe80c3', join(src, 'caps')]);
    if (set.status !== 0) {
      t.skip('setfattr/user xattrs unavailable');
      return;
    }
    spawnSync('setfattr', ['-n', 'user.other', '-v', '0x01', join(src, 'd', 'n'.repeat(120))]);
    const tarFile = join(work, 'xattr.tar');
    const r = spawnSync('tar', [
      '--format=pax',
      '--xattrs',
      '--xattrs-include=user.*',
      '--sort=name',
      '-C',
      src,
      '-cf',
      tarFile,
      '.',
    ]);
    assert.equal(r.status, 0, r.stderr.toString());
    const dir = fresh();
    await unpackLayer(Readable.from([readFileSync(tarFile)]), dir);
    assert.equal((await getXattr(join(dir, 'caps'), 'user.bin'))?.toString('hex'), 'ff00fe80c3');
    const long = join(dir, 'd', 'n'.repeat(120));
    assert.equal((await getXattr(long, 'user.other'))?.toString('hex'), '01');
    assert.equal(readFileSync(long, 'utf8'), 'long name');
    assert.equal(await getXattr(join(dir, 'plain'), 'user.bin'), undefined);
  });

  it('streams a big file without buffering it whole', async () => {
    const size = 48 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 7);
    const pack = tar.pack();
    const fileHash = createHash('sha256');
    const body = pack.entry({ name: 'big.bin', size }, (err) => {
      if (err) throw err;
      pack.finalize();
    });
    void (async () => {
      for (let i = 0; i < size / block.length; i++) {
        fileHash.update(block);
        if (!body.write(block)) await new Promise<void>((r) => body.once('drain', () => r()));
      }
      body.end(() => undefined);
    })();
    const tarHash = createHash('sha256');
    async function* tee(): AsyncGenerator<Buffer> {
      for await (const c of pack as AsyncIterable<Buffer>) {
        tarHash.update(c);
        yield c;
      }
    }
    const dir = fresh();
    const res = await unpackLayer(Readable.from(tee()), dir);
    assert.equal(res.diffId, `sha256:${tarHash.digest('hex')}`);
    assert.equal(lstatSync(join(dir, 'big.bin')).size, size);
    const onDisk = createHash('sha256')
      .update(readFileSync(join(dir, 'big.bin')))
      .digest('hex');
    assert.equal(onDisk, fileHash.digest('hex'));
  });

  it('fails on a truncated stream', async () => {
    const bytes = await makeTar([{ header: { name: 'a' }, content: Buffer.alloc(5000, 1) }]);
    const gz = gzipSync(bytes);
    await assert.rejects(unpackLayer(Readable.from([gz.subarray(0, gz.length - 30)]), fresh()));
    await assert.rejects(unpackLayer(Readable.from([bytes.subarray(0, 2000)]), fresh()));
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ImagePullError, RuntimeNotFoundError, type ImageInfo } from '../container-runtime.ts';
import { LocalImageStore, type ImagePuller } from './local-image-store.ts';

let work: string;
let n = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-store-test-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh store root. */
function newRoot(): string {
  return join(work, `store-${++n}`);
}

/** Builds a tar of `files` (path → content) with GNU tar; returns its path. */
async function makeTar(files: Record<string, string>, name = `rootfs-${++n}.tar`): Promise<string> {
  const dir = join(work, `${name}.d`);
  for (const [p, content] of Object.entries(files)) {
    await mkdir(join(dir, p, '..'), { recursive: true });
    await writeFile(join(dir, p), content);
  }
  const out = join(work, name);
  execFileSync('tar', ['--numeric-owner', '--sort=name', '-C', dir, '-cf', out, '.']);
  return out;
}

const sha256 = (b: Buffer | string): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A minimal config for layers `diffIds` (bottom first). */
function configFor(diffIds: string[], extra: object = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: diffIds },
      ...extra,
    }),
  );
}

async function putFileLayer(
  store: LocalImageStore,
  name: string,
  content: string,
): Promise<string> {
  const diffId = sha256(`${name}:${content}`);
  await store.putLayer(diffId, async (dir) => {
    await writeFile(join(dir, name), content);
    return content.length;
  });
  return diffId;
}

describe('LocalImageStore', () => {
  test('import, then find the image by short name, full name, id and id prefix', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    const tar = await makeTar({ 'bin/hello': 'echo hi\n', 'etc/motd': 'welcome\n' });
    const info = await store.importRootfs(tar, 'demo', {
      cmd: ['/bin/hello'],
      env: ['A=1'],
      workingDir: '/srv',
      user: '1000:1000',
    });
    assert.match(info.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(info.repoTags, ['docker.io/library/demo:latest']);
    assert.deepEqual(info.repoDigests, []);
    assert.equal(info.size, readFileSync(tar).length);
    assert.deepEqual(info.config, {
      cmd: ['/bin/hello'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1'],
      workingDir: '/srv',
      user: '1000:1000',
    });
    const hex = info.id.slice('sha256:'.length);
    for (const ref of [
      'demo',
      'demo:latest',
      'docker.io/library/demo:latest',
      'library/demo',
      info.id,
      hex.slice(0, 12),
      `sha256:${hex.slice(0, 12)}`,
    ]) {
      assert.equal((await store.imageStatus(ref))?.id, info.id, ref);
    }
    assert.equal(await store.imageStatus('demo:other'), undefined);
    assert.equal(await store.imageStatus('other'), undefined);
    assert.equal(await store.imageStatus('sha256:' + 'f'.repeat(64)), undefined);

    const [lower, ...more] = await store.lowerDirs('demo');
    assert.deepEqual(more, []);
    assert.equal(readFileSync(join(lower!, 'bin/hello'), 'utf8'), 'echo hi\n');
    const diffId = sha256(readFileSync(tar));
    assert.equal(lower, store.layerDir(diffId));
    assert.ok(store.hasLayer(diffId));
    const config = JSON.parse(readFileSync(join(store.root, 'configs', `${hex}.json`), 'utf8')) as {
      rootfs: { diff_ids: string[] };
      os: string;
    };
    assert.deepEqual(config.rootfs.diff_ids, [diffId]);
    assert.equal(config.os, 'linux');
    assert.equal(sha256(readFileSync(join(store.root, 'configs', `${hex}.json`))), info.id);
  });

  test('lowerDirs lists layers top-most first; unknown images throw', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    const base = await putFileLayer(store, 'base', 'b');
    const top = await putFileLayer(store, 'top', 't');
    await store.putImage(configFor([base, top]), ['app:1'], ['app@' + sha256('manifest')]);
    assert.deepEqual(await store.lowerDirs('app:1'), [store.layerDir(top), store.layerDir(base)]);
    assert.equal(
      (await store.imageStatus('app@' + sha256('manifest')))?.repoTags[0],
      'docker.io/library/app:1',
    );
    await assert.rejects(store.lowerDirs('nope'), RuntimeNotFoundError);
    await assert.rejects(
      store.putImage(configFor([sha256('absent')]), ['x'], []),
      /missing layer\(s\) sha256:/,
    );
    assert.equal(await store.imageStatus('x'), undefined);
  });

  test('the same tar under two names shares one layer; rm of the last user deletes it', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    const tar = await makeTar({ 'data.txt': 'shared' });
    const a = await store.importRootfs(tar, 'one:v1');
    const b = await store.importRootfs(tar, 'two', { cmd: ['sh'] });
    const c = await store.importRootfs(tar, 'three');
    assert.notEqual(a.id, b.id);
    assert.equal(a.id, c.id, 'same tar and options give the same image id');
    assert.deepEqual((await store.imageStatus('three'))?.repoTags, [
      'docker.io/library/one:v1',
      'docker.io/library/three:latest',
    ]);
    assert.equal((await readdir(join(store.root, 'layers'))).length, 1);

    await store.removeImage('one:v1');
    assert.equal(await store.imageStatus('one:v1'), undefined);
    assert.equal((await store.imageStatus('three'))?.id, a.id);
    await store.removeImage('three');
    assert.equal(await store.imageStatus(a.id), undefined);
    assert.equal((await readdir(join(store.root, 'layers'))).length, 1, 'still used by "two"');
    assert.equal(existsSync(join(store.root, 'configs', `${a.id.slice(7)}.json`)), false);

    await store.removeImage('two');
    assert.deepEqual(await readdir(join(store.root, 'layers')), []);
    assert.deepEqual(await readdir(join(store.root, 'configs')), []);
    assert.deepEqual(await readdir(join(store.root, 'tmp')), []);
    assert.deepEqual(await store.listImages(), []);
    await store.removeImage('two'); // unknown: no error
  });

  test('a tag moves to the newer image; the old one stays untagged until removed by id', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    const old = await store.importRootfs(await makeTar({ v: '1' }), 'app:stable');
    const neu = await store.importRootfs(await makeTar({ v: '2' }), 'app:stable');
    assert.equal((await store.imageStatus('app:stable'))?.id, neu.id);
    const images = await store.listImages();
    assert.equal(images.length, 2);
    assert.deepEqual(images.find((i) => i.id === old.id)?.repoTags, []);
    await store.removeImage(old.id.slice(7, 19));
    assert.deepEqual(
      (await store.listImages()).map((i) => i.id),
      [neu.id],
    );
    assert.equal((await readdir(join(store.root, 'layers'))).length, 1);
  });

  test('the index survives a restart and changes by another instance are seen', async () => {
    const root = newRoot();
    const first = new LocalImageStore({ root });
    const info = await first.importRootfs(await makeTar({ f: 'x' }), 'persist:1');
    const second = new LocalImageStore({ root });
    assert.deepEqual(await second.imageStatus('persist:1'), info);
    await second.importRootfs(await makeTar({ f: 'y' }), 'other');
    assert.ok(await first.imageStatus('other'), 'first instance re-reads the changed index');
    await second.removeImage('persist:1');
    assert.equal(await first.imageStatus('persist:1'), undefined);
  });

  test('concurrent putLayer calls for one diffId share one fill', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    const diffId = sha256('concurrent');
    let fills = 0;
    const fill = async (dir: string): Promise<void> => {
      fills++;
      await new Promise((r) => setTimeout(r, 30));
      await writeFile(join(dir, 'file'), 'content');
    };
    const dirs = await Promise.all([1, 2, 3].map(() => store.putLayer(diffId, fill)));
    assert.equal(fills, 1);
    assert.deepEqual(
      dirs,
      [1, 2, 3].map(() => store.layerDir(diffId)),
    );
    assert.equal(readFileSync(join(dirs[0]!, 'file'), 'utf8'), 'content');
    assert.equal(readFileSync(join(store.root, 'layers', diffId.slice(7), 'size'), 'utf8'), '7');
    await store.putLayer(diffId, fill);
    assert.equal(fills, 1, 'present layers are not filled again');
  });

  test('a failed fill or extraction leaves no temp dir and no layer', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    const diffId = sha256('fails');
    await assert.rejects(
      store.putLayer(diffId, async (dir) => {
        await writeFile(join(dir, 'half'), 'x');
        throw new Error('network down');
      }),
      /network down/,
    );
    assert.equal(store.hasLayer(diffId), false);
    const junk = join(work, 'junk.tar');
    await writeFile(junk, 'this is not a tar archive at all'.repeat(40));
    await assert.rejects(store.importRootfs(junk, 'junk'), /not a valid rootfs tarball/);
    const gz = join(work, 'junk.tar.gz');
    await writeFile(gz, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]));
    await assert.rejects(store.importRootfs(gz, 'junk'), /cannot read the archive/);
    await assert.rejects(store.importRootfs(join(work, 'missing.tar'), 'junk'), /ENOENT/);
    assert.deepEqual(await readdir(join(store.root, 'tmp')), []);
    assert.deepEqual(await readdir(join(store.root, 'layers')), []);
    assert.deepEqual(await store.listImages(), []);
  });

  test('temp leftovers of a dead process are swept when a store opens', async () => {
    const root = newRoot();
    await mkdir(join(root, 'tmp', 'layer-999999999-abcdef', 'fs'), { recursive: true });
    await mkdir(join(root, 'tmp', `layer-${process.pid}-abcdef`), { recursive: true });
    const store = new LocalImageStore({ root });
    await putFileLayer(store, 'f', 'x');
    assert.deepEqual(await readdir(join(root, 'tmp')), [`layer-${process.pid}-abcdef`]);
  });

  test('a lock file left by a dead process does not block changes', async () => {
    const root = newRoot();
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'index.lock'), '999999999');
    const store = new LocalImageStore({ root });
    await store.importRootfs(await makeTar({ f: 'lock' }), 'locked');
    assert.ok(await store.imageStatus('locked'));
    assert.equal(existsSync(join(root, 'index.lock')), false);
  });
});

describe('LocalImageStore.pullImage', () => {
  test('without a puller it fails with ImagePullError', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    await assert.rejects(store.pullImage('busybox', []), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.match(e.message, /cannot pull image "busybox": this node has no registry puller/);
      return true;
    });
  });

  test('concurrent pulls of one normalised reference share one pull', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    const calls: string[] = [];
    const puller: ImagePuller = {
      async pull(ref, _auth, s): Promise<ImageInfo> {
        calls.push(ref);
        await new Promise((r) => setTimeout(r, 30));
        const layer = await putFileLayer(s, 'pulled', ref);
        return s.putImage(configFor([layer]), [ref], []);
      },
    };
    store.setPuller(puller);
    const [a, b, c] = await Promise.all([
      store.pullImage('busybox', []),
      store.pullImage('docker.io/library/busybox:latest', []),
      store.pullImage('busybox:1.36', []),
    ]);
    assert.equal(calls.length, 2);
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, c.id);
    assert.equal((await store.imageStatus('busybox'))?.id, a.id);
    await store.pullImage('busybox', []);
    assert.equal(calls.length, 3, 'a finished pull is not reused');
  });

  test('puller errors become ImagePullError; one caller aborting does not cancel the others', async () => {
    const store = new LocalImageStore({ root: newRoot() });
    let seen: AbortSignal | undefined;
    store.setPuller({
      async pull(ref, _auth, s, signal): Promise<ImageInfo> {
        seen = signal;
        await new Promise((r) => setTimeout(r, 40));
        signal?.throwIfAborted();
        if (ref === 'bad') throw new Error('manifest unknown');
        const layer = await putFileLayer(s, 'f', ref);
        return s.putImage(configFor([layer]), [ref], []);
      },
    });
    await assert.rejects(store.pullImage('bad', []), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.message, 'manifest unknown');
      return true;
    });
    const ac = new AbortController();
    const first = store.pullImage('good', [], ac.signal);
    const second = store.pullImage('good', []);
    ac.abort(new Error('caller gave up'));
    await assert.rejects(first, /caller gave up/);
    assert.equal(seen?.aborted, false);
    assert.deepEqual((await second).repoTags, ['docker.io/library/good:latest']);

    const lone = new AbortController();
    const p = store.pullImage('alone', [], lone.signal);
    lone.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    assert.equal(seen?.aborted, true, 'the pull is cancelled once nobody waits for it');
  });
});

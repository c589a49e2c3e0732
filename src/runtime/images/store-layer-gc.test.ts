import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ImageInfo } from '../container-runtime.ts';
import { LocalImageStore } from './local-image-store.ts';
import { tarWorkdir } from './testing/tar-workdir.ts';

const work = tarWorkdir('podbay-layer-gc-test-');
const makeTar = (content: string): Promise<string> => work.makeTar(content);

describe('deleting unused layers', () => {
  test('configs no index entry names are deleted with the next removal', async () => {
    const root = join(work.dir, 'store-configs');
    const store = new LocalImageStore({ root });
    await store.importRootfs(await makeTar('keep'), 'keep');
    const a = await store.importRootfs(await makeTar('gone'), 'gone');
    const orphan = join(root, 'configs', `${'e'.repeat(64)}.json`);
    await writeFile(orphan, '{}');
    await store.removeImage('gone');
    assert.equal(
      (await readdir(join(root, 'configs'))).length,
      1,
      `only keep's config is left (removed ${a.id} and the orphan)`,
    );
  });

  test('layers of an image removed during a pull wait until the pull is over', async () => {
    const root = join(work.dir, 'store-deferred');
    const store = new LocalImageStore({ root });
    const tar = await makeTar('base layer');
    const old = await store.importRootfs(tar, 'old');
    const baseDiffId = JSON.parse(
      readFileSync(join(root, 'configs', `${old.id.slice(7)}.json`), 'utf8'),
    ).rootfs.diff_ids[0] as string;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    store.setPuller({
      async pull(ref, _auth, s): Promise<ImageInfo> {
        const reuse = s.hasLayer(baseDiffId); // found present: the pull will not fetch it
        started();
        await gate;
        const diffIds = ref.includes('reuse') && reuse ? [baseDiffId] : [];
        return s.putImage(
          Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: diffIds } })),
          [ref],
          [],
        );
      },
    });

    const pulling = store.pullImage('new-reuse', []);
    await running;
    await store.removeImage('old');
    assert.ok(store.hasLayer(baseDiffId), 'kept while a pull runs');
    release();
    await pulling;
    assert.deepEqual(await store.lowerDirs('new-reuse'), [store.layerDir(baseDiffId)]);

    const info = await store.importRootfs(tar, 'again');
    let release2!: () => void;
    const gate2 = new Promise<void>((r) => (release2 = r));
    store.setPuller({
      async pull(ref, _auth, s): Promise<ImageInfo> {
        await gate2;
        return s.putImage(
          Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [] } })),
          [ref],
          [],
        );
      },
    });
    const other = store.pullImage('unrelated', []);
    await store.removeImage('new-reuse');
    await store.removeImage(info.id);
    assert.ok(store.hasLayer(baseDiffId));
    release2();
    await other;
    for (let i = 0; i < 100 && store.hasLayer(baseDiffId); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(store.hasLayer(baseDiffId), false, 'deleted once the pulls are over');
  });
});

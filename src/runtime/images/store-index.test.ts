import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LocalImageStore } from './local-image-store.ts';
import { tarWorkdir } from './testing/tar-workdir.ts';

const work = tarWorkdir('podbay-index-test-');
const makeTar = (content: string): Promise<string> => work.makeTar(content);

describe('the image index', () => {
  test('concurrent imports through two store instances all land in the index', async () => {
    const root = join(work.dir, 'store-concurrent');
    const a = new LocalImageStore({ root });
    const b = new LocalImageStore({ root });
    const tars = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => makeTar(`c${i}`)));
    await Promise.all(tars.map((t, i) => (i % 2 ? a : b).importRootfs(t, `img${i}`)));
    const names = (await a.listImages()).flatMap((i) => i.repoTags).sort();
    assert.deepEqual(
      names,
      [0, 1, 2, 3, 4, 5].map((i) => `docker.io/library/img${i}:latest`),
    );
    await Promise.all([0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? b : a).removeImage(`img${i}`)));
    assert.deepEqual(await b.listImages(), []);
    assert.deepEqual(await readdir(join(root, 'layers')), []);
  });
});

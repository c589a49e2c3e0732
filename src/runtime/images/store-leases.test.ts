import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RuntimeNotFoundError } from '../container-runtime.ts';
import { ImageInUseError, LocalImageStore } from './local-image-store.ts';
import { tarWorkdir } from './testing/tar-workdir.ts';

const work = tarWorkdir('podbay-leases-test-');
const makeTar = (content: string): Promise<string> => work.makeTar(content);

describe('image leases', () => {
  test('a leased image can be untagged but not deleted until released', async () => {
    const root = join(work.dir, 'store-lease');
    const store = new LocalImageStore({ root });
    const tar = await makeTar('leased');
    const info = await store.importRootfs(tar, 'app:1');
    assert.equal((await store.importRootfs(tar, 'app:2')).id, info.id);
    assert.equal(await store.leaseImage('ctr-1', 'app:1'), info.id);
    await assert.rejects(store.leaseImage('ctr-2', 'nope'), RuntimeNotFoundError);
    await assert.rejects(store.leaseImage('../x', 'app:1'), /invalid image lease holder/);

    await store.removeImage('app:1'); // still tagged app:2: just an untag
    const other = new LocalImageStore({ root }); // e.g. `podbay image rm` in another process
    await assert.rejects(other.removeImage('app:2'), (e: unknown) => {
      assert.ok(e instanceof ImageInUseError);
      assert.deepEqual(e.holders, ['ctr-1']);
      assert.match(e.message, /^image sha256:[0-9a-f]{64} is in use by ctr-1$/);
      return true;
    });
    assert.deepEqual((await other.imageStatus('app:2'))?.repoTags, ['docker.io/library/app:2']);
    await assert.rejects(other.removeImage(info.id), ImageInUseError);

    await store.releaseImage('ctr-1');
    await store.releaseImage('ctr-1');
    await other.removeImage('app:2');
    assert.equal(await store.imageStatus(info.id), undefined);
    assert.deepEqual(await readdir(join(root, 'layers')), []);
    assert.deepEqual(await readdir(join(root, 'leases')), []);
  });
});

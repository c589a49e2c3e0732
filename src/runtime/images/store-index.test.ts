import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalImageStore } from './local-image-store.ts';

let work: string;
let n = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-index-test-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function makeTar(content: string): Promise<string> {
  const dir = join(work, `src-${++n}`);
  await mkdir(dir);
  await writeFile(join(dir, 'file'), content);
  const out = join(work, `rootfs-${n}.tar`);
  execFileSync('tar', ['-C', dir, '-cf', out, '.']);
  return out;
}

describe('the image index', () => {
  test('concurrent imports through two store instances all land in the index', async () => {
    const root = join(work, 'store-concurrent');
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

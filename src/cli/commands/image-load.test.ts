import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  digestOf,
  dockerSaveLegacy,
  fixtureImage,
  ociLayout,
  tarOf,
  writeDir,
  writeTar,
} from '../../runtime/images/archive/testing/archive-fixtures.ts';
import { LocalImageStore } from '../../runtime/images/local-image-store.ts';
import { runPodbay } from '../testing/run-podbay.ts';

let work: string;

const podbay = runPodbay;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-image-load-cli-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('podbay image load', () => {
  test('a docker save tarball, an OCI layout directory, and a tar on stdin', async () => {
    const dataDir = join(work, 'data');
    const layer = await tarOf({ 'bin/': '', 'bin/tool': 'tool' });
    const img = fixtureImage([layer]);
    const saved = join(work, 'saved.tar');
    await writeTar(
      saved,
      dockerSaveLegacy([{ image: img, tags: ['busybox:1.36', 'busybox:latest'] }]),
    );
    const r = await podbay(['image', 'load', '-i', saved, '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'Loaded image: docker.io/library/busybox:1.36\nLoaded image: docker.io/library/busybox:latest\n',
    );
    const store = new LocalImageStore({ root: join(dataDir, 'images') });
    assert.equal((await store.imageStatus('busybox:1.36'))?.id, digestOf(img.config));

    const other = fixtureImage([layer], { cmd: ['other'] });
    const dir = join(work, 'layout');
    await writeDir(
      dir,
      ociLayout([
        { name: 'registry.example:5000/team/tool:2', image: other },
        { name: '2', image: fixtureImage([layer], { cmd: ['untagged'] }) },
      ]),
    );
    const r2 = await podbay(['image', 'load', '--input', dir, '--data-dir', dataDir]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(
      r2.stdout,
      /^Loaded image: registry\.example:5000\/team\/tool:2\nLoaded image ID: sha256:[0-9a-f]{64}\n$/,
    );

    const viaStdin = join(work, 'stdin.tar');
    await writeTar(viaStdin, ociLayout([{ name: 'docker.io/library/piped:1', image: img }]));
    const r3 = await podbay(['image', 'load', '--data-dir', dataDir], viaStdin);
    assert.equal(r3.code, 0, r3.stderr);
    assert.equal(r3.stdout, 'Loaded image: docker.io/library/piped:1\n');
    const ls = await podbay(['image', 'ls', '--data-dir', dataDir]);
    assert.match(ls.stdout, /docker\.io\/library\/piped\s+1\s/);
  });

  test('a bad archive: error, exit 1, nothing recorded or left behind', async () => {
    const dataDir = join(work, 'bad');
    const img = fixtureImage([await tarOf({ '../escape': 'x' })]);
    const evil = join(work, 'evil.tar');
    await writeTar(evil, dockerSaveLegacy([{ image: img, tags: ['evil:1'] }]));
    const r = await podbay(['image', 'load', '-i', evil, '--data-dir', dataDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: layer .*layer\.tar: .*escapes the layer root\n$/);
    assert.equal(r.stdout, '');
    const root = join(dataDir, 'images');
    assert.deepEqual(await new LocalImageStore({ root }).listImages(), []);
    assert.deepEqual(await readdir(join(root, 'layers')), []);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);

    const missing = await podbay(['image', 'load', '-i', join(work, 'nope.tar')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: cannot read ".*nope\.tar": no such file\n$/);
    const usage = await podbay(['image', 'load', 'positional']);
    assert.equal(usage.code, 2);
  });
});

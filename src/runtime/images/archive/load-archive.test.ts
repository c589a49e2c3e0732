import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildBusyboxRootfs } from '../../../../test/support/images/busybox-rootfs.ts';
import { LocalImageStore } from '../local-image-store.ts';
import { ArchiveError, loadImageArchive } from './load-archive.ts';
import {
  digestOf,
  dockerSaveLegacy,
  fixtureImage,
  ociLayout,
  tarOf,
  writeDir,
  writeTar,
  type Member,
} from './testing/archive-fixtures.ts';

let work: string;
let base: Buffer;
let app: Buffer;
let n = 0;

function newStore(): LocalImageStore {
  return new LocalImageStore({ root: join(work, `store-${String(n++)}`) });
}

async function layerDirs(store: LocalImageStore): Promise<string[]> {
  return readdir(join(store.root, 'layers')).catch(() => []);
}

/** The store holds nothing: no images, no layers, no temp leftovers. */
async function assertEmpty(store: LocalImageStore): Promise<void> {
  assert.deepEqual(await store.listImages(), []);
  assert.deepEqual(await layerDirs(store), []);
  assert.deepEqual(await readdir(join(store.root, 'tmp')).catch(() => []), []);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-load-'));
  base = await tarOf({ 'bin/': '', 'bin/tool': 'base tool', 'etc/': '', 'etc/os': 'fixture' });
  app = await tarOf({ 'srv/': '', 'srv/app': 'app v1', 'etc/': '', 'etc/.wh.os': '' });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('loadImageArchive', () => {
  test('legacy docker save: in-archive symlinks, familiar tags normalised', async () => {
    const img = fixtureImage([base, app]);
    const file = join(work, 'legacy.tar');
    await writeTar(file, dockerSaveLegacy([{ image: img, tags: ['busybox:1.36', 'tools/app:2'] }]));
    const store = newStore();
    const loaded = await loadImageArchive(store, file);
    assert.equal(loaded.length, 1);
    assert.equal(loaded[0]!.id, digestOf(img.config));
    assert.deepEqual(loaded[0]!.repoTags, [
      'docker.io/library/busybox:1.36',
      'docker.io/tools/app:2',
    ]);
    const dirs = await store.lowerDirs('busybox:1.36');
    assert.equal(await readFile(join(dirs[0]!, 'srv/app'), 'utf8'), 'app v1');
    assert.equal(await readFile(join(dirs[1]!, 'bin/tool'), 'utf8'), 'base tool');
    assert.ok(existsSync(join(dirs[0]!, 'etc/os')), 'the whiteout became an overlay whiteout');

    const seen: boolean[] = [];
    await loadImageArchive(store, file, { onLayer: (l) => seen.push(l.present) });
    assert.deepEqual(seen, [true, true], 'present layers are not unpacked again');
  });

  test('docker save from before Docker 1.10 (repositories and <id>/json only)', async () => {
    const img = fixtureImage([base, app]);
    const m = dockerSaveLegacy([{ image: img, tags: ['old/app:v1'] }]);
    m.delete('manifest.json');
    // The top layer's v1 JSON carries the runtime config.
    for (const [name, v] of m) {
      if (!name.endsWith('/json') || !Buffer.isBuffer(v)) continue;
      const j = JSON.parse(v.toString()) as Record<string, unknown>;
      if (j['parent'] !== undefined) {
        j['config'] = { Cmd: ['/srv/app'], Env: ['A=1'] };
        j['created'] = '2015-06-01T00:00:00Z';
      }
      m.set(name, Buffer.from(JSON.stringify(j)));
    }
    const file = join(work, 'v1.tar');
    await writeTar(file, m);
    const store = newStore();
    const [loaded] = await loadImageArchive(store, file);
    assert.deepEqual(loaded?.repoTags, ['docker.io/old/app:v1']);
    assert.deepEqual(loaded?.image.config, { cmd: ['/srv/app'], env: ['A=1'] });
    const dirs = await store.lowerDirs('old/app:v1');
    assert.equal(await readFile(join(dirs[0]!, 'srv/app'), 'utf8'), 'app v1');
    assert.equal(await readFile(join(dirs[1]!, 'bin/tool'), 'utf8'), 'base tool');
  });

  test('Docker >= 25 hybrid (manifest.json over an OCI layout, plain layers)', async () => {
    const img = fixtureImage([base]);
    const members = ociLayout(
      [{ name: '1.0', containerdName: 'docker.io/tools/hybrid:1.0', image: img, plain: true }],
      { dockerManifest: true },
    );
    const file = join(work, 'hybrid.tar');
    await writeTar(file, members);
    const store = newStore();
    const [info] = await loadImageArchive(store, file);
    assert.deepEqual(info?.repoTags, ['docker.io/tools/hybrid:1.0']);
    assert.ok(await store.imageStatus('tools/hybrid:1.0'));
  });

  test('OCI layout directory: linux/amd64 from an index, names from annotations', async () => {
    const amd = fixtureImage([base, app], { architecture: 'amd64' });
    const arm = fixtureImage([base], { architecture: 'arm64' });
    const untagged = fixtureImage([app], { cmd: ['other'] });
    const dir = join(work, 'oci-dir');
    await writeDir(
      dir,
      ociLayout([
        { name: 'docker.io/library/multi:1', image: [arm, amd] },
        { name: 'latest', image: untagged },
      ]),
    );
    const store = newStore();
    const loaded = await loadImageArchive(store, dir, {
      platform: { os: 'linux', architecture: 'amd64' },
    });
    assert.deepEqual(
      loaded.map((i) => [i.id, i.repoTags]),
      [
        [digestOf(amd.config), ['docker.io/library/multi:1']],
        [digestOf(untagged.config), []],
      ],
    );
    const armOnly = newStore();
    const [picked] = await loadImageArchive(armOnly, dir, {
      platform: { os: 'linux', architecture: 'arm64' },
    });
    assert.equal(picked?.id, digestOf(arm.config));
  });

  test('OCI layout tar, gzip-compressed as a whole, leaves no scratch files', async () => {
    const img = fixtureImage([base]);
    const file = join(work, 'oci.tar.gz');
    const scratch = join(work, 'scratch');
    execFileSync('mkdir', ['-p', scratch]);
    await writeFile(
      file,
      gzipSync(
        await tarOf(Object.fromEntries(ociLayout([{ name: 'example.com/a/b:3', image: img }]))),
      ),
    );
    const store = newStore();
    const [info] = await loadImageArchive(store, file, { scratchDir: scratch });
    assert.deepEqual(info?.repoTags, ['example.com/a/b:3']);
    assert.deepEqual(await readdir(scratch), []);
  });

  test(
    'archives written by skopeo (docker-archive and oci-archive) from a busybox image',
    {
      skip:
        (!existsSync('/usr/bin/skopeo') || !existsSync('/bin/busybox')) &&
        'needs skopeo and busybox',
    },
    async () => {
      const rootfs = await readFile(await buildBusyboxRootfs());
      const img = fixtureImage([rootfs]);
      const dir = join(work, 'skopeo-src');
      await writeDir(dir, ociLayout([{ name: '1.36', image: img }]));
      const dockerArchive = join(work, 'skopeo-docker.tar');
      const ociArchive = join(work, 'skopeo-oci.tar');
      execFileSync('skopeo', [
        'copy',
        '-q',
        `oci:${dir}:1.36`,
        `docker-archive:${dockerArchive}:docker.io/library/busybox:1.36`,
      ]);
      execFileSync('skopeo', [
        'copy',
        '-q',
        `oci:${dir}:1.36`,
        `oci-archive:${ociArchive}:docker.io/library/busybox:1.28`,
      ]);
      const store = newStore();
      const [a] = await loadImageArchive(store, dockerArchive);
      assert.deepEqual(a?.repoTags, ['docker.io/library/busybox:1.36']);
      const [b] = await loadImageArchive(store, ociArchive);
      assert.deepEqual(b?.repoTags, ['docker.io/library/busybox:1.28']);
      assert.deepEqual(b?.image.repoTags.sort(), [
        'docker.io/library/busybox:1.28',
        'docker.io/library/busybox:1.36',
      ]);
      assert.equal(a?.id, b?.id, 'same config either way');
      const [top] = await store.lowerDirs('busybox:1.36');
      assert.ok(existsSync(join(top!, 'bin/busybox')));
      const out = execFileSync(join(top!, 'bin/busybox'), ['echo', 'ok']).toString();
      assert.equal(out.trim(), 'ok');
    },
  );

  describe('bad archives fail clearly and write nothing', () => {
    async function expectFailure(
      members: Map<string, Member> | Buffer,
      message: RegExp,
    ): Promise<void> {
      const file = join(work, `bad-${String(n++)}.tar`);
      if (Buffer.isBuffer(members)) await writeFile(file, members);
      else await writeTar(file, members);
      const store = newStore();
      await assert.rejects(loadImageArchive(store, file), (e: Error) => {
        assert.ok(e instanceof ArchiveError, `${e.name}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
      await assertEmpty(store);
    }

    test('not a tar, an empty file, a truncated tar', async () => {
      await expectFailure(Buffer.from('hello, this is not an archive'.repeat(40)), /not a tar/);
      await expectFailure(Buffer.alloc(0), /not a tar/);
      const whole = await tarOf(
        Object.fromEntries(dockerSaveLegacy([{ image: fixtureImage([base]), tags: ['a:1'] }])),
      );
      await expectFailure(whole.subarray(0, 1500), /truncated/);
    });

    test('a tar that is no image archive, broken JSON, bad names', async () => {
      await expectFailure(
        await tarOf({ 'hello.txt': 'hi' }),
        /not a docker save archive or an OCI image layout/,
      );
      await expectFailure(
        await tarOf({ 'manifest.json': '{oops' }),
        /manifest\.json is not valid JSON/,
      );
      const m = dockerSaveLegacy([{ image: fixtureImage([base]), tags: ['UPPER:1'] }]);
      await expectFailure(m, /invalid image name "UPPER:1"/);
    });

    test('a missing layer is found before any layer is written', async () => {
      const m = dockerSaveLegacy([{ image: fixtureImage([base, app]), tags: ['a:1'] }]);
      m.delete(`${digestOf(app).slice(7)}.tar`);
      await expectFailure(m, /archive has no layer file/);
    });

    test('a config whose digest does not match its name', async () => {
      const img = fixtureImage([base]);
      const m = dockerSaveLegacy([{ image: img, tags: ['a:1'] }]);
      m.set(
        `${digestOf(img.config).slice(7)}.json`,
        Buffer.from(img.config.toString().replace('sh', 'zz')),
      );
      await expectFailure(m, /digest mismatch/);
    });

    test('a corrupted layer blob (digest) and a layer not matching its diff_id', async () => {
      const img = fixtureImage([base, app]);
      const m = ociLayout([{ name: 'x.io/a:1', image: img }]);
      const target = [...m.entries()].find(
        ([, v]) => Buffer.isBuffer(v) && v[0] === 0x1f && v.length > 0,
      )!;
      const flipped = Buffer.from(target[1] as Buffer);
      flipped[flipped.length - 5]! ^= 0xff;
      m.set(target[0], flipped);
      await expectFailure(m, /unexpected commit digest|layer blobs/);

      const wrong = fixtureImage([base]);
      const legacy = dockerSaveLegacy([{ image: wrong, tags: ['a:1'] }]);
      legacy.set(`${digestOf(base).slice(7)}.tar`, app);
      await expectFailure(legacy, /unpacked to diff_id .*, but the image config says/);
    });

    test('a layer escaping its directory', async () => {
      const evil = await tarOf({ '../../etc/passwd': 'root::0:0::/:/bin/sh' });
      await expectFailure(
        dockerSaveLegacy([{ image: fixtureImage([evil]), tags: ['evil:1'] }]),
        /escapes the layer root/,
      );
      const viaLink = await tarOf({ escape: { symlink: '/etc' }, 'escape/pwned': 'x' });
      await expectFailure(
        dockerSaveLegacy([{ image: fixtureImage([viaLink]), tags: ['evil:2'] }]),
        /symlink/,
      );
    });

    test('a corrupt layer in the second image records neither image', async () => {
      const good = fixtureImage([base]);
      const bad = fixtureImage([app], { cmd: ['bad'] });
      const m = dockerSaveLegacy([
        { image: good, tags: ['good:1'] },
        { image: bad, tags: ['bad:1'] },
      ]);
      m.set(`${digestOf(app).slice(7)}.tar`, Buffer.from(app).fill(0x41, 600, 700));
      const file = join(work, 'two.tar');
      await writeTar(file, m);
      const store = newStore();
      await assert.rejects(
        loadImageArchive(store, file),
        /^ArchiveError: layer [0-9a-f]{64}\/layer\.tar: /,
      );
      assert.deepEqual(await store.listImages(), []);
      assert.deepEqual(await readdir(join(store.root, 'tmp')), []);
    });

    test('an index without the wanted platform', async () => {
      const arm = fixtureImage([base], { architecture: 'arm64' });
      await expectFailure(
        ociLayout([{ name: 'x.io/a:1', image: [arm] }]),
        /has no linux\/amd64 image/,
      );
    });
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalImageStore } from '../../runtime/images/local-image-store.ts';
import { runPodbay, type PodbayRun } from '../testing/run-podbay.ts';
import {
  buildImage,
  FakeRegistry,
  tarOf,
} from '../../runtime/images/registry/testing/fake-registry.ts';
import { PullProgressView } from './image-pull.ts';

let work: string;
const registry = new FakeRegistry();
let image: ReturnType<typeof buildImage>;

const podbay = (...args: string[]): Promise<PodbayRun> => runPodbay(args);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-image-pull-cli-'));
  image = buildImage([
    await tarOf({ 'bin/': '', 'bin/sh': 'shell' }),
    await tarOf({ 'srv/': '', 'srv/app': 'x'.repeat(50_000) }),
  ]);
  registry.putImage('library/busybox', '1.36', image);
  await registry.start();
});
after(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('podbay image pull', () => {
  test('plain lines off a terminal; a second pull finds the layers present', async () => {
    const dataDir = join(work, 'data');
    const ref = `${registry.host}/library/busybox:1.36`;
    const r = await podbay('image', 'pull', ref, '--data-dir', dataDir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `Pulling ${ref}`);
    const done = lines.slice(1, -1).sort();
    const want = image.layers
      .map((l) => new RegExp(`^${l.digest.slice(7, 19)}: Pull complete \\(\\d.*B\\)$`))
      .sort();
    assert.equal(done.length, 2);
    for (const line of done)
      assert.ok(
        want.some((re) => re.test(line)),
        line,
      );
    assert.equal(lines.at(-1), `Pulled ${ref} (${image.manifestDigest})`);
    assert.ok(!r.stdout.includes('\x1b'), 'no terminal escapes when not on a TTY');
    const store = new LocalImageStore({ root: join(dataDir, 'images') });
    assert.deepEqual((await store.imageStatus(ref))?.repoDigests, [
      `${registry.host}/library/busybox@${image.manifestDigest}`,
    ]);

    const again = await podbay('image', 'pull', ref, '--data-dir', dataDir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.stdout.match(/: Already exists$/gm) ?? []).length, 2);
  });

  test('docker.io through a mirror from --registries (k3s registries.yaml)', async () => {
    const dataDir = join(work, 'mirrored');
    const file = join(work, 'registries.yaml');
    await writeFile(
      file,
      `mirrors:\n  docker.io:\n    endpoint:\n      - http://${registry.host}\n`,
    );
    const r = await podbay(
      'image',
      'pull',
      'busybox:1.36',
      '--registries',
      file,
      '--data-dir',
      dataDir,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Pulled docker\.io\/library\/busybox:1\.36 \(sha256:/);
  });

  test("errors: the puller's message, exit 1, nothing recorded", async () => {
    const dataDir = join(work, 'errors');
    const r = await podbay(
      'image',
      'pull',
      `${registry.host}/library/busybox:nope`,
      '--data-dir',
      dataDir,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*busybox:nope.*not found/m);
    const bad = await podbay('image', 'pull', 'UPPER/Case', '--data-dir', dataDir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid reference format/);
    registry.corrupt.add(image.layers[1]!.digest);
    try {
      const corrupt = await podbay(
        'image',
        'pull',
        `${registry.host}/library/busybox:1.36`,
        '--data-dir',
        dataDir,
      );
      assert.equal(corrupt.code, 1);
      assert.match(corrupt.stderr, /unexpected commit digest/);
    } finally {
      registry.corrupt.clear();
    }
    const root = join(dataDir, 'images');
    assert.deepEqual(await new LocalImageStore({ root }).listImages(), []);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.equal((await podbay('image', 'pull')).code, 2);
  });
});

describe('PullProgressView', () => {
  test('on a terminal: one bar per layer, redrawn in place', () => {
    let out = '';
    const view = new PullProgressView({ isTTY: true, write: (t: string) => (out += t) }, 10, 0);
    view.start('x/y:1');
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    view.onEvent({
      type: 'resolved',
      ref: 'x/y:1',
      digest: `sha256:${'c'.repeat(64)}`,
      layers: [
        { digest: a, size: 2000, present: false },
        { digest: b, size: 500, present: true },
      ],
    });
    view.onEvent({ type: 'layer-bytes', ref: 'x/y:1', digest: a, received: 1000, total: 2000 });
    const frame = out.slice(out.lastIndexOf('\x1b[2A'));
    assert.equal(
      frame,
      '\x1b[2A\x1b[2Kaaaaaaaaaaaa: [=====>    ] 1kB/2kB\n\x1b[2Kbbbbbbbbbbbb: Already exists\n',
    );
    view.onEvent({ type: 'layer-done', ref: 'x/y:1', digest: a });
    view.finish('x/y:1', view.digest);
    assert.ok(
      out.endsWith(
        `aaaaaaaaaaaa: Pull complete (2kB)\n\x1b[2Kbbbbbbbbbbbb: Already exists\nPulled x/y:1 (sha256:${'c'.repeat(64)})\n`,
      ),
      JSON.stringify(out),
    );
  });
});

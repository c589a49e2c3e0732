import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  collectImages,
  ImageUsageTracker,
  statfsUsage,
  trackImageUse,
  type FsUsage,
} from './image-gc.ts';
import { LocalImageStore } from './local-image-store.ts';

let work: string;
let n = 0;

const digest = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** Adds a layer of `size` bytes named after `key` (same key = same, shared layer). */
async function layer(store: LocalImageStore, key: string, size: number): Promise<string> {
  const diffId = digest(`layer ${key}`);
  await store.putLayer(diffId, async (dir) => {
    await writeFile(join(dir, 'data'), Buffer.alloc(size));
    return size;
  });
  return diffId;
}

async function image(store: LocalImageStore, tag: string, layers: string[]): Promise<string> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      tag,
      rootfs: { type: 'layers', diff_ids: layers },
    }),
  );
  return (await store.putImage(config, [tag], [])).id;
}

function newStore(): LocalImageStore {
  return new LocalImageStore({ root: join(work, `store-${String(n++)}`) });
}

/** A disk of 1000 bytes whose usage drops as images are removed (by the store's sizes). */
function fakeDisk(used: number): () => FsUsage {
  return () => ({ usedBytes: used, capacityBytes: 1000 });
}

const T0 = 1_000_000_000;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'podbay-image-gc-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('collectImages', () => {
  test('below the high threshold nothing is removed', async () => {
    const store = newStore();
    await image(store, 'a:1', [await layer(store, 'a', 100)]);
    const r = await collectImages(store, { fsUsage: fakeDisk(849), now: () => T0, minAgeMs: 0 });
    assert.equal(r.triggered, false);
    assert.deepEqual(r.removed, []);
    assert.equal((await store.listImages()).length, 1);
  });

  test('least recently used first (never used before used), leased images kept, down to low', async () => {
    const store = newStore();
    const usage = new ImageUsageTracker(store.root);
    const a = await image(store, 'a:1', [await layer(store, 'a', 60)]);
    const b = await image(store, 'b:1', [await layer(store, 'b', 60)]);
    const c = await image(store, 'c:1', [await layer(store, 'c', 60)]);
    const d = await image(store, 'd:1', [await layer(store, 'd', 60)]);
    await usage.detect([a, b, c, d], T0);
    await usage.touch(c, T0 + 3000);
    await usage.touch(a, T0 + 1000);
    await usage.touch(d, T0 + 500);
    await store.leaseImage('container-d', 'd:1');

    // 90 % used, low 80 %: 100 bytes must go → b (never used, 60) then a (60).
    const r = await collectImages(store, {
      fsUsage: fakeDisk(900),
      now: () => T0 + 10_000,
      minAgeMs: 0,
      usage,
    });
    assert.equal(r.triggered, true);
    assert.equal(r.bytesToFree, 100);
    assert.deepEqual(
      r.removed.map((x) => [x.id, x.freedBytes]),
      [
        [b, 60],
        [a, 60],
      ],
    );
    assert.equal(r.bytesFreed, 120);
    assert.equal(r.error, undefined);
    assert.deepEqual((await store.listImages()).map((i) => i.id).sort(), [c, d].sort());
    assert.equal((await usage.get(d))?.lastUsed, T0 + 10_000, 'a leased image counts as used now');
    assert.equal(await usage.get(a), undefined, 'removed images are forgotten');

    // Still full, only the leased d and c remain: c goes, d never does.
    const r2 = await collectImages(store, {
      fsUsage: fakeDisk(1000),
      now: () => T0 + 20_000,
      minAgeMs: 0,
      usage,
    });
    assert.deepEqual(
      r2.removed.map((x) => x.id),
      [c],
    );
    assert.match(
      r2.error ?? '',
      /^Failed to garbage collect required amount of images\. Attempted to free 200 bytes, but only found 60 bytes eligible to free\.$/,
    );
    assert.deepEqual(
      (await store.listImages()).map((i) => i.id),
      [d],
    );
    await store.releaseImage('container-d');
  });

  test('a layer shared with a remaining image frees nothing', async () => {
    const store = newStore();
    const shared = await layer(store, 'shared', 80);
    const e = await image(store, 'e:1', [shared]);
    const f = await image(store, 'f:1', [shared, await layer(store, 'f', 10)]);
    const g = await image(store, 'g:1', [await layer(store, 'g', 50)]);
    const usage = new ImageUsageTracker(store.root);
    await usage.detect([e, f, g], T0);
    await usage.touch(e, T0 + 1);
    await usage.touch(f, T0 + 2);
    await usage.touch(g, T0 + 3);
    const r = await collectImages(store, {
      fsUsage: fakeDisk(870),
      now: () => T0 + 10,
      minAgeMs: 0,
      usage,
    });
    // 70 to free: e frees 0 (f keeps the layer), f frees 80 + 10.
    assert.deepEqual(
      r.removed.map((x) => [x.id, x.freedBytes]),
      [
        [e, 0],
        [f, 90],
      ],
    );
    assert.deepEqual(
      (await store.listImages()).map((i) => i.id),
      [g],
    );
  });

  test('images younger than the minimum age are spared; thresholds are checked', async () => {
    const store = newStore();
    const old = await image(store, 'old:1', [await layer(store, 'old', 10)]);
    await collectImages(store, { fsUsage: fakeDisk(0), now: () => T0 });
    const young = await image(store, 'young:1', [await layer(store, 'young', 10)]);
    const r = await collectImages(store, {
      fsUsage: fakeDisk(950),
      now: () => T0 + 150_000, // old first seen 150 s ago, young just now; default min age 2 min
    });
    assert.deepEqual(
      r.removed.map((x) => x.id),
      [old],
    );
    assert.deepEqual(
      (await store.listImages()).map((i) => i.id),
      [young],
    );
    await assert.rejects(
      collectImages(store, { highThresholdPercent: 70, lowThresholdPercent: 90 }),
      /invalid image GC thresholds/,
    );
  });

  test('trackImageUse records a use on leaseImage; usage persists across trackers', async () => {
    const store = newStore();
    const id = await image(store, 'h:1', [await layer(store, 'h', 10)]);
    const usage = new ImageUsageTracker(store.root);
    const undo = trackImageUse(store, usage);
    const before = Date.now();
    assert.equal(await store.leaseImage('c1', 'h:1'), id);
    const rec = await new ImageUsageTracker(store.root).get(id);
    assert.ok(rec?.lastUsed !== undefined && rec.lastUsed >= before);
    undo();
    assert.ok(!Object.hasOwn(store, 'leaseImage'), 'undo restores the class method');
    await store.releaseImage('c1');
  });

  test('statfs usage of the store directory', async () => {
    const u = await statfsUsage(work);
    assert.ok(u.capacityBytes > 0 && u.usedBytes >= 0 && u.usedBytes <= u.capacityBytes);
  });
});

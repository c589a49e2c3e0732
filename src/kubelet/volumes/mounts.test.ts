import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTmpfsMountPoint, mountAt, mountTmpfs, unmountAllUnder } from './mounts.ts';
import { isRoot } from './testing/volume-fixture.ts';

test(
  'isTmpfsMountPoint agrees with the mount table: only the tmpfs root itself counts',
  { skip: isRoot ? false : 'needs root to mount a tmpfs' },
  async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'podbay-mounts-')));
    const vol = join(dir, 'vol');
    await mkdir(vol);
    try {
      assert.equal(await isTmpfsMountPoint(vol), false);
      await mountTmpfs(vol, 1 << 20);
      assert.equal((await mountAt(vol))?.fsType, 'tmpfs');
      assert.equal(await isTmpfsMountPoint(vol), true);
      // A directory inside the tmpfs is on a tmpfs but is no mount point.
      await mkdir(join(vol, 'sub'));
      assert.equal(await isTmpfsMountPoint(join(vol, 'sub')), false);
      // A tmpfs on a directory of another tmpfs is still told apart from its parent.
      await mountTmpfs(join(vol, 'sub'));
      assert.equal(await isTmpfsMountPoint(join(vol, 'sub')), true);
      assert.equal(await unmountAllUnder(vol), 2);
      assert.equal(await isTmpfsMountPoint(vol), false);
    } finally {
      await unmountAllUnder(dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('isTmpfsMountPoint fails on a missing directory', async () => {
  await assert.rejects(isTmpfsMountPoint('/nonexistent/podbay/dir'), { code: 'ENOENT' });
});

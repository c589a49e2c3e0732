import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalidPath, writeAtomically, type Payload } from './atomic-writer.ts';

const root = await mkdtemp(join(tmpdir(), 'podbay-aw-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshDir = async (): Promise<string> => mkdtemp(join(root, `v${n++}-`));

const file = (text: string, mode = 0o644) => ({ data: Buffer.from(text), mode });

test('writes files behind ..data with user-visible symlinks and the requested modes', async () => {
  const dir = await freshDir();
  const payload: Payload = new Map([
    ['app.conf', file('a=1\n')],
    ['nested/deep/x.txt', file('x', 0o400)],
  ]);
  assert.equal(await writeAtomically(dir, payload), true);
  const entries = (await readdir(dir)).sort();
  assert.equal(entries.length, 4);
  assert.deepEqual(entries.slice(1), ['..data', 'app.conf', 'nested']);
  assert.match(entries[0]!, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\..+$/);
  assert.equal(await readlink(join(dir, '..data')), entries[0]);
  assert.equal(await readlink(join(dir, 'app.conf')), '..data/app.conf');
  assert.equal(await readlink(join(dir, 'nested')), '..data/nested');
  assert.equal(await readFile(join(dir, 'nested/deep/x.txt'), 'utf8'), 'x');
  assert.equal((await stat(join(dir, 'app.conf'))).mode & 0o7777, 0o644);
  assert.equal((await stat(join(dir, 'nested/deep/x.txt'))).mode & 0o7777, 0o400);
  assert.equal((await stat(join(dir, entries[0]!))).mode & 0o7777, 0o755);
});

test('rewrites nothing when contents and modes are unchanged', async () => {
  const dir = await freshDir();
  const payload: Payload = new Map([['k', file('v')]]);
  await writeAtomically(dir, payload);
  const before = await readlink(join(dir, '..data'));
  assert.equal(await writeAtomically(dir, new Map([['k', file('v')]])), false);
  assert.equal(await readlink(join(dir, '..data')), before);
  assert.equal(await writeAtomically(dir, new Map([['k', file('v', 0o600)]])), true);
  assert.notEqual(await readlink(join(dir, '..data')), before);
  assert.equal((await stat(join(dir, 'k'))).mode & 0o7777, 0o600);
});

test('an update swaps ..data, removes dropped keys and old timestamp dirs, and is seen through an open directory', async () => {
  const dir = await freshDir();
  await writeAtomically(
    dir,
    new Map([
      ['a', file('one')],
      ['b', file('bee')],
    ]),
  );
  const first = await readlink(join(dir, '..data'));
  const dirFd = await open(dir, 'r');
  try {
    await writeAtomically(dir, new Map([['a', file('two')]]));
    const second = await readlink(join(dir, '..data'));
    assert.notEqual(second, first);
    assert.deepEqual((await readdir(dir)).sort(), [second, '..data', 'a'].sort());
    // Through /proc/self/fd the path is resolved from the already-open directory.
    assert.equal(await readFile(`/proc/self/fd/${dirFd.fd}/a`, 'utf8'), 'two');
  } finally {
    await dirFd.close();
  }
});

test('an empty payload leaves an empty ..data', async () => {
  const dir = await freshDir();
  assert.equal(await writeAtomically(dir, new Map()), true);
  assert.deepEqual(await readdir(join(dir, '..data')), []);
});

test('invalid paths are refused', async () => {
  assert.match(invalidPath('/etc/passwd')!, /must be relative path/);
  assert.match(invalidPath('a/../../b')!, /must not contain '\.\.'/);
  assert.match(invalidPath('..data')!, /must not start with '\.\.'/);
  assert.match(invalidPath('./')!, /must not be '\.'/);
  assert.equal(invalidPath('a/b.c'), undefined);
  const dir = await freshDir();
  await assert.rejects(writeAtomically(dir, new Map([['../x', file('x')]])), /must not contain/);
  await assert.rejects(
    writeAtomically(
      dir,
      new Map([
        ['a', file('1')],
        ['a/b', file('2')],
      ]),
    ),
    /a is both a file and a directory/,
  );
});

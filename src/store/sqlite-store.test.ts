import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  conflictMessage,
} from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import { SqliteStore } from './sqlite-store.ts';

function pod(name: string, namespace = 'default', extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}` },
    ...extra,
  };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'podbay-store-'));
}

test('create stores the object with a strictly increasing resourceVersion', () => {
  const s = new SqliteStore(':memory:');
  assert.equal(s.currentResourceVersion(), '0');
  const a = s.create('pods', pod('a'));
  const b = s.create('pods', pod('b'));
  assert.equal(a.metadata.resourceVersion, '1');
  assert.equal(b.metadata.resourceVersion, '2');
  assert.equal(s.currentResourceVersion(), '2');
  assert.deepEqual(s.get('pods', 'default', 'a'), a);
  assert.equal(s.get('pods', 'other', 'a'), undefined);
  assert.equal(s.get('services', 'default', 'a'), undefined);
  s.close();
});

test('create does not mutate its input and returns a copy', () => {
  const s = new SqliteStore(':memory:');
  const input = pod('a');
  const out = s.create('pods', input);
  assert.equal(input.metadata.resourceVersion, undefined);
  assert.equal(out.metadata.resourceVersion, '1');
  const got = s.get('pods', 'default', 'a')!;
  got.metadata.labels = { changed: 'yes' };
  assert.equal(s.get('pods', 'default', 'a')!.metadata.labels, undefined);
});

test('create of an existing object throws AlreadyExists and writes nothing', () => {
  const s = new SqliteStore(':memory:');
  s.create('deployments.apps', pod('web'));
  assert.throws(
    () => s.create('deployments.apps', pod('web')),
    (err: unknown) =>
      err instanceof AlreadyExistsError &&
      err.message === 'deployments.apps "web" already exists' &&
      err.details?.group === 'apps' &&
      err.details.kind === 'deployments',
  );
  assert.equal(s.currentResourceVersion(), '1');
  // Same name in another namespace or resource is fine.
  s.create('deployments.apps', pod('web', 'other'));
  s.create('pods', pod('web'));
  assert.equal(s.currentResourceVersion(), '3');
});

test('cluster-scoped objects use an empty namespace', () => {
  const s = new SqliteStore(':memory:');
  s.create('namespaces', { metadata: { name: 'dev' } });
  assert.equal(s.get('namespaces', '', 'dev')?.metadata.name, 'dev');
  assert.equal(s.list('namespaces').items.length, 1);
});

test('an object without a name is rejected', () => {
  const s = new SqliteStore(':memory:');
  assert.throws(() => s.create('pods', { metadata: {} }), BadRequestError);
});

test('update replaces and bumps the revision; missing objects throw NotFound', () => {
  const s = new SqliteStore(':memory:');
  const a = s.create('pods', pod('a'));
  const u = s.update('pods', { ...a, spec: { x: 1 } });
  assert.equal(u.metadata.resourceVersion, '2');
  assert.deepEqual(s.get('pods', 'default', 'a')?.['spec'], { x: 1 });
  assert.throws(
    () => s.update('jobs.batch', pod('nope')),
    (err: unknown) => err instanceof NotFoundError && err.message === 'jobs.batch "nope" not found',
  );
  assert.equal(s.currentResourceVersion(), '2');
});

test('update with a stale resourceVersion precondition throws Conflict', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  s.update('pods', pod('a'));
  assert.throws(
    () => s.update('pods', pod('a'), { preconditions: { resourceVersion: '1' } }),
    (err: unknown) =>
      err instanceof ConflictError &&
      err.code === 409 &&
      err.message === `Operation cannot be fulfilled on pods "a": ${conflictMessage}`,
  );
  const ok = s.update('pods', pod('a'), { preconditions: { resourceVersion: '2', uid: 'uid-a' } });
  assert.equal(ok.metadata.resourceVersion, '3');
});

test('uid preconditions use upstream wording', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  assert.throws(
    () => s.delete('pods', 'default', 'a', { preconditions: { uid: 'other' } }),
    (err: unknown) =>
      err instanceof ConflictError &&
      err.message ===
        'Operation cannot be fulfilled on pods "a": Precondition failed: UID in precondition: other, UID in object meta: uid-a',
  );
  assert.ok(s.get('pods', 'default', 'a'));
});

test('delete returns the last state at the deletion revision', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a', 'default', { spec: { v: 1 } }));
  const gone = s.delete('pods', 'default', 'a', {
    preconditions: { uid: 'uid-a', resourceVersion: '1' },
  });
  assert.equal(gone.metadata.resourceVersion, '2');
  assert.deepEqual(gone['spec'], { v: 1 });
  assert.equal(s.get('pods', 'default', 'a'), undefined);
  assert.throws(() => s.delete('pods', 'default', 'a'), NotFoundError);
  assert.equal(s.currentResourceVersion(), '2');
  // The name can be reused.
  assert.equal(s.create('pods', pod('a')).metadata.resourceVersion, '3');
});

test('delete with a stale resourceVersion precondition throws Conflict', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  assert.throws(
    () => s.delete('pods', 'default', 'a', { preconditions: { resourceVersion: '7' } }),
    ConflictError,
  );
});

test('guaranteedUpdate transforms the current object', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a', 'default', { n: 1 }));
  const out = s.guaranteedUpdate('pods', 'default', 'a', (cur) => ({
    ...cur,
    n: (cur['n'] as number) + 1,
  }));
  assert.equal(out['n'], 2);
  assert.equal(out.metadata.resourceVersion, '2');
  assert.equal(s.get('pods', 'default', 'a')?.['n'], 2);
});

test('guaranteedUpdate returning the same object writes nothing', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  let seen: KubeObject | undefined;
  const out = s.guaranteedUpdate('pods', 'default', 'a', (cur) => (seen = cur));
  assert.equal(out, seen);
  assert.equal(out.metadata.resourceVersion, '1');
  assert.equal(s.currentResourceVersion(), '1');
});

test('guaranteedUpdate on a missing object throws NotFound; errors from fn propagate', () => {
  const s = new SqliteStore(':memory:');
  assert.throws(
    () => s.guaranteedUpdate('pods', 'default', 'x', (c) => c),
    (err: unknown) => err instanceof NotFoundError && err.message === 'pods "x" not found',
  );
  s.create('pods', pod('a'));
  assert.throws(
    () =>
      s.guaranteedUpdate('pods', 'default', 'a', (cur) => {
        s.update('pods', cur, { preconditions: { resourceVersion: '99' } });
        return cur;
      }),
    ConflictError,
  );
  assert.equal(s.currentResourceVersion(), '1');
});

test('guaranteedUpdate keeps the key even if fn renames', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  s.guaranteedUpdate('pods', 'default', 'a', (cur) => ({
    ...cur,
    metadata: { ...cur.metadata, name: 'b' },
  }));
  assert.equal(s.get('pods', 'default', 'a')?.metadata.name, 'a');
  assert.equal(s.get('pods', 'default', 'b'), undefined);
});

test('a failed nested write rolls back the whole transaction', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  assert.throws(() =>
    s.guaranteedUpdate('pods', 'default', 'a', () => {
      s.create('pods', pod('side'));
      throw new Error('boom');
    }),
  );
  assert.equal(s.get('pods', 'default', 'side'), undefined);
  assert.equal(s.currentResourceVersion(), '1');
  assert.equal(s.create('pods', pod('b')).metadata.resourceVersion, '2');
});

test('objects and revisions survive close and reopen', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'state.db');
    const s1 = new SqliteStore(file);
    s1.create('pods', pod('a'));
    s1.create('pods', pod('b'));
    s1.delete('pods', 'default', 'b');
    s1.close();
    const s2 = new SqliteStore(file);
    assert.equal(s2.currentResourceVersion(), '3');
    assert.equal(s2.get('pods', 'default', 'a')?.metadata.resourceVersion, '1');
    assert.equal(s2.get('pods', 'default', 'b'), undefined);
    assert.equal(s2.create('pods', pod('c')).metadata.resourceVersion, '4');
    s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the revision continues after a compacted log on reopen', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'state.db');
    const s1 = new SqliteStore(file, { changeLogSize: 2 });
    for (let i = 0; i < 6; i++) s1.create('pods', pod(`p${i}`));
    for (let i = 0; i < 6; i++) s1.delete('pods', 'default', `p${i}`);
    s1.close();
    const s2 = new SqliteStore(file, { changeLogSize: 2 });
    assert.equal(s2.currentResourceVersion(), '12');
    assert.equal(s2.create('pods', pod('x')).metadata.resourceVersion, '13');
    s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writes after close are refused', () => {
  const s = new SqliteStore(':memory:');
  s.close();
  s.close();
  assert.throws(() => s.create('pods', pod('a')));
});

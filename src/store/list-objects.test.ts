import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, GoneError, TimeoutError } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import { decodeContinue } from './continue-token.ts';
import { ExpiredContinueError } from './list-objects.ts';
import { SqliteStore } from './sqlite-store.ts';

function pod(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  phase = 'Running',
): KubeObject {
  return { metadata: { namespace, name, labels }, status: { phase } };
}

const fieldsOf = (o: KubeObject): Record<string, string> => ({
  'status.phase': (o['status'] as { phase: string }).phase,
});

const names = (items: KubeObject[]): string[] =>
  items.map((o) =>
    o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name!}` : o.metadata.name!,
  );

function seeded(): SqliteStore {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('b', 'x', { app: 'web' }));
  s.create('pods', pod('a', 'z', { app: 'db' }, 'Pending'));
  s.create('pods', pod('a-b', 'c', { app: 'web', tier: 'front' }));
  s.create('pods', pod('a', 'y', { app: 'web' }));
  s.create('services', pod('a', 'svc'));
  return s;
}

test('lists in etcd key order (namespace/name as bytes)', () => {
  const s = seeded();
  const r = s.list('pods');
  assert.deepEqual(names(r.items), ['a-b/c', 'a/y', 'a/z', 'b/x']);
  assert.equal(r.resourceVersion, '5');
  assert.equal(r.continue, undefined);
  assert.equal(r.remainingItemCount, undefined);
});

test('filters by namespace, labels and fields', () => {
  const s = seeded();
  const cases: [Parameters<SqliteStore['list']>[1], string[]][] = [
    [{ namespace: 'a' }, ['a/y', 'a/z']],
    [{ namespace: 'a-b' }, ['a-b/c']],
    [{ namespace: 'none' }, []],
    [{ namespace: '' }, ['a-b/c', 'a/y', 'a/z', 'b/x']],
    [{ labelSelector: 'app=web' }, ['a-b/c', 'a/y', 'b/x']],
    [{ labelSelector: 'app=web,!tier' }, ['a/y', 'b/x']],
    [{ labelSelector: 'tier in (front)', namespace: 'a-b' }, ['a-b/c']],
    [{ fieldSelector: 'metadata.name=y' }, ['a/y']],
    [{ fieldSelector: 'metadata.namespace!=a' }, ['a-b/c', 'b/x']],
    [{ fieldSelector: 'status.phase=Pending', fieldsOf }, ['a/z']],
    [{ fieldSelector: 'status.phase=Pending' }, []],
    [
      { fieldSelector: 'status.phase!=Pending', fieldsOf, labelSelector: 'app' },
      ['a-b/c', 'a/y', 'b/x'],
    ],
  ];
  for (const [opts, want] of cases)
    assert.deepEqual(names(s.list('pods', opts).items), want, JSON.stringify(opts));
});

test('invalid selectors throw BadRequest', () => {
  const s = seeded();
  assert.throws(() => s.list('pods', { labelSelector: 'a in (' }), BadRequestError);
  assert.throws(() => s.list('pods', { fieldSelector: 'nope' }), BadRequestError);
});

test('pages with limit and continue, with remainingItemCount', () => {
  const s = seeded();
  const p1 = s.list('pods', { limit: 2 });
  assert.deepEqual(names(p1.items), ['a-b/c', 'a/y']);
  assert.equal(p1.remainingItemCount, 2);
  assert.ok(p1.continue);
  assert.deepEqual(decodeContinue(p1.continue), { rv: 5, start: 'a/y' });
  const p2 = s.list('pods', { limit: 2, continue: p1.continue });
  assert.deepEqual(names(p2.items), ['a/z', 'b/x']);
  assert.equal(p2.continue, undefined);
  assert.equal(p2.remainingItemCount, undefined);
  assert.equal(p2.resourceVersion, '5');
});

test('pages within a namespace', () => {
  const s = seeded();
  const p1 = s.list('pods', { namespace: 'a', limit: 1 });
  assert.deepEqual(names(p1.items), ['a/y']);
  assert.equal(p1.remainingItemCount, 1);
  const p2 = s.list('pods', { namespace: 'a', limit: 1, continue: p1.continue! });
  assert.deepEqual(names(p2.items), ['a/z']);
  assert.equal(p2.continue, undefined);
});

test('paging with a selector omits remainingItemCount', () => {
  const s = seeded();
  const p1 = s.list('pods', { limit: 1, labelSelector: 'app=web' });
  assert.deepEqual(names(p1.items), ['a-b/c']);
  assert.equal(p1.remainingItemCount, undefined);
  const p2 = s.list('pods', { limit: 5, labelSelector: 'app=web', continue: p1.continue! });
  assert.deepEqual(names(p2.items), ['a/y', 'b/x']);
});

test('later pages show the snapshot of the first page despite writes', () => {
  const s = seeded();
  const p1 = s.list('pods', { limit: 2 });
  s.delete('pods', 'a', 'z');
  s.create('pods', pod('a', 'zz'));
  s.update('pods', { ...pod('b', 'x'), status: { phase: 'Failed' } });
  s.create('pods', pod('0', 'early'));
  const p2 = s.list('pods', { limit: 2, continue: p1.continue! });
  assert.deepEqual(names(p2.items), ['a/z', 'b/x']);
  assert.deepEqual(p2.items[1]!['status'], { phase: 'Running' });
  assert.equal(p2.items[1]!.metadata.resourceVersion, '1');
  assert.equal(p2.resourceVersion, '5');
  assert.equal(s.list('pods', {}).items.length, 5);
});

test('a snapshot page reports remaining items at its revision', () => {
  const s = seeded();
  const p1 = s.list('pods', { limit: 1 });
  s.delete('pods', 'a', 'y');
  s.create('pods', pod('c', 'new'));
  const p2 = s.list('pods', { limit: 1, continue: p1.continue! });
  assert.deepEqual(names(p2.items), ['a/y']);
  assert.equal(p2.remainingItemCount, 2);
});

test('a continue token older than the change log is Gone with a fresh token', () => {
  const s = new SqliteStore(':memory:', { changeLogSize: 3 });
  for (const n of ['a', 'b', 'c']) s.create('pods', pod('ns', n));
  const p1 = s.list('pods', { limit: 1 });
  for (const n of ['d', 'e', 'f', 'g']) s.create('pods', pod('ns', n));
  let fresh = '';
  assert.throws(
    () => s.list('pods', { limit: 1, continue: p1.continue! }),
    (err: unknown) => {
      assert.ok(err instanceof ExpiredContinueError);
      assert.ok(err instanceof GoneError);
      assert.equal(err.code, 410);
      assert.equal(err.reason, 'Expired');
      assert.match(
        err.message,
        /^The provided continue parameter is too old to display a consistent list result\./,
      );
      fresh = err.continueToken;
      assert.equal(err.toStatus().metadata.continue, fresh);
      return true;
    },
  );
  const p2 = s.list('pods', { limit: 10, continue: fresh });
  assert.deepEqual(names(p2.items), ['ns/b', 'ns/c', 'ns/d', 'ns/e', 'ns/f', 'ns/g']);
  assert.equal(p2.resourceVersion, '7');
});

test('resourceVersion semantics', () => {
  const s = seeded();
  s.update('pods', { ...pod('b', 'x'), status: { phase: 'Failed' } });
  assert.equal(s.list('pods', { resourceVersion: '' }).resourceVersion, '6');
  assert.equal(s.list('pods', { resourceVersion: '0' }).resourceVersion, '6');
  assert.equal(
    s.list('pods', { resourceVersion: '3', resourceVersionMatch: 'NotOlderThan' }).resourceVersion,
    '6',
  );
  assert.equal(s.list('pods', { resourceVersion: '3' }).resourceVersion, '6');
  const exact = s.list('pods', { resourceVersion: '3', resourceVersionMatch: 'Exact' });
  assert.equal(exact.resourceVersion, '3');
  assert.deepEqual(names(exact.items), ['a-b/c', 'a/z', 'b/x']);
  assert.deepEqual(exact.items[2]!['status'], { phase: 'Running' });
  assert.throws(
    () => s.list('pods', { resourceVersion: '7' }),
    (err: unknown) =>
      err instanceof TimeoutError && err.message === 'Too large resource version: 7, current: 6',
  );
  assert.throws(() => s.list('pods', { resourceVersion: 'abc' }), BadRequestError);
  assert.throws(() => s.list('pods', { resourceVersion: '3', continue: 'x' }), BadRequestError);
});

test('an exact resourceVersion older than the log is Gone', () => {
  const s = new SqliteStore(':memory:', { changeLogSize: 2 });
  for (const n of ['a', 'b', 'c', 'd']) s.create('pods', pod('ns', n));
  assert.throws(
    () => s.list('pods', { resourceVersion: '1', resourceVersionMatch: 'Exact' }),
    (err: unknown) =>
      err instanceof GoneError &&
      err.message === 'The resourceVersion for the provided list is too old.',
  );
  assert.deepEqual(
    names(s.list('pods', { resourceVersion: '2', resourceVersionMatch: 'Exact' }).items),
    ['ns/a', 'ns/b'],
  );
});

test('garbage continue tokens are BadRequest', () => {
  const s = seeded();
  for (const token of ['!!!', Buffer.from('{"v":"x"}').toString('base64'), 'e30=']) {
    assert.throws(() => s.list('pods', { continue: token }), BadRequestError, token);
  }
});

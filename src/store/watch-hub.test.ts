import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, GoneError, TimeoutError } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Logger } from '../lib/log.ts';
import { nullLogger } from '../lib/log.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { StoreEvent, StoreWatchOptions } from './store.ts';

function pod(name: string, labels: Record<string, string> = {}, namespace = 'default'): KubeObject {
  return { metadata: { name, namespace, labels } };
}

/** Starts a watch collecting `TYPE name@rv` strings. */
function collect(s: SqliteStore, options: StoreWatchOptions, resource = 'pods') {
  const seen: string[] = [];
  const events: StoreEvent[] = [];
  const w = s.watch(resource, options, (e) => {
    events.push(e);
    seen.push(`${e.type} ${e.object.metadata.name!}@${e.object.metadata.resourceVersion!}`);
  });
  return { seen, events, w };
}

test('delivers live ADDED, MODIFIED and DELETED events with revisions', () => {
  const s = new SqliteStore(':memory:');
  const { seen, events, w } = collect(s, { resourceVersion: s.currentResourceVersion() });
  s.create('pods', pod('a'));
  s.update('pods', pod('a', { v: '2' }));
  s.delete('pods', 'default', 'a');
  s.create('services', pod('other'));
  assert.deepEqual(seen, ['ADDED a@1', 'MODIFIED a@2', 'DELETED a@3']);
  assert.equal(events[1]!.previous?.metadata.resourceVersion, '1');
  assert.equal(s.watcherCount(), 1);
  w.stop();
  w.stop();
  assert.equal(s.watcherCount(), 0);
  s.create('pods', pod('b'));
  assert.equal(seen.length, 3);
});

test('resourceVersion "0" or unset starts with synthetic ADDED for current matches', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a', { app: 'web' }));
  s.create('pods', pod('b', { app: 'db' }));
  s.create('pods', pod('c', { app: 'web' }, 'other'));
  for (const resourceVersion of ['0', '', undefined]) {
    const opts: StoreWatchOptions = { labelSelector: 'app=web' };
    if (resourceVersion !== undefined) opts.resourceVersion = resourceVersion;
    const { seen, w } = collect(s, opts);
    assert.deepEqual(seen, ['ADDED a@1', 'ADDED c@3']);
    w.stop();
  }
  const { seen } = collect(s, { resourceVersion: '0', namespace: 'other' });
  s.create('pods', pod('d', {}, 'other'));
  s.create('pods', pod('e'));
  assert.deepEqual(seen, ['ADDED c@3', 'ADDED d@4']);
});

test('replays changes after the given revision, then continues live', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  s.create('pods', pod('b'));
  s.update('pods', pod('a', { x: 'y' }));
  s.delete('pods', 'default', 'b');
  const { seen } = collect(s, { resourceVersion: '2' });
  assert.deepEqual(seen, ['MODIFIED a@3', 'DELETED b@4']);
  s.create('pods', pod('c'));
  assert.deepEqual(seen, ['MODIFIED a@3', 'DELETED b@4', 'ADDED c@5']);
});

test('a revision older than the change log is Gone, as upstream words it', () => {
  const s = new SqliteStore(':memory:', { changeLogSize: 3 });
  for (const n of ['a', 'b', 'c', 'd', 'e']) s.create('pods', pod(n));
  assert.throws(
    () => s.watch('pods', { resourceVersion: '1' }, () => undefined),
    (err: unknown) =>
      err instanceof GoneError &&
      err.code === 410 &&
      err.message === 'too old resource version: 1 (2)',
  );
  assert.equal(s.watcherCount(), 0);
  const { seen } = collect(s, { resourceVersion: '2' });
  assert.deepEqual(seen, ['ADDED c@3', 'ADDED d@4', 'ADDED e@5']);
  assert.throws(() => s.watch('pods', { resourceVersion: 'x' }, () => undefined), BadRequestError);
  assert.throws(
    () => s.watch('pods', { resourceVersion: '6' }, () => undefined),
    (err: unknown) =>
      err instanceof TimeoutError && err.message === 'Too large resource version: 6, current: 5',
  );
  assert.throws(() => s.watch('pods', { labelSelector: '=' }, () => undefined), BadRequestError);
});

test('filtered watches turn transitions into ADDED and DELETED', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a', { app: 'db' }));
  const { seen, events } = collect(s, { resourceVersion: '1', labelSelector: 'app=web' });
  s.update('pods', pod('a', { app: 'web' })); // starts matching
  s.update('pods', pod('a', { app: 'web', v: '2' })); // still matches
  s.update('pods', pod('a', { app: 'db', v: '3' })); // stops matching
  s.update('pods', pod('a', { app: 'db', v: '4' })); // still not matching
  s.delete('pods', 'default', 'a');
  assert.deepEqual(seen, ['ADDED a@2', 'MODIFIED a@3', 'DELETED a@4']);
  // The DELETED carries the last matching content at the change's revision.
  assert.deepEqual(events[2]!.object.metadata.labels, { app: 'web', v: '2' });
});

test('field-selected watches use fieldsOf and transitions in replay too', () => {
  const s = new SqliteStore(':memory:');
  const withPhase = (name: string, phase: string): KubeObject => ({
    ...pod(name),
    status: { phase },
  });
  const fieldsOf = (o: KubeObject): Record<string, string> => ({
    'status.phase': (o['status'] as { phase: string }).phase,
  });
  s.create('pods', withPhase('a', 'Pending'));
  s.update('pods', withPhase('a', 'Running'));
  s.update('pods', withPhase('a', 'Succeeded'));
  const { seen } = collect(s, {
    resourceVersion: '1',
    fieldSelector: 'status.phase=Running',
    fieldsOf,
  });
  assert.deepEqual(seen, ['ADDED a@2', 'DELETED a@3']);
  const byName = collect(s, { resourceVersion: '0', fieldSelector: 'metadata.name=a' });
  assert.deepEqual(byName.seen, ['ADDED a@3']);
});

test('a throwing listener is logged and does not stop others', () => {
  const warnings: string[] = [];
  const log: Logger = { ...nullLogger, warn: (m) => warnings.push(m), child: () => log };
  const s = new SqliteStore(':memory:', { log });
  s.watch('pods', { resourceVersion: '0' }, () => {
    throw new Error('bad listener');
  });
  const { seen } = collect(s, { resourceVersion: '0' });
  s.create('pods', pod('a'));
  s.create('pods', pod('b'));
  assert.deepEqual(seen, ['ADDED a@1', 'ADDED b@2']);
  assert.equal(warnings.length, 2);
});

test('a listener that writes keeps revision order for every watcher', () => {
  const s = new SqliteStore(':memory:');
  const first: string[] = [];
  s.watch('pods', { resourceVersion: '0' }, (e) => {
    first.push(e.object.metadata.name!);
    if (e.object.metadata.name === 'a') s.create('pods', pod('from-listener'));
  });
  const { seen } = collect(s, { resourceVersion: '0' });
  s.create('pods', pod('a'));
  assert.deepEqual(first, ['a', 'from-listener']);
  assert.deepEqual(seen, ['ADDED a@1', 'ADDED from-listener@2']);
});

test('a watch started inside a listener sees each change once', () => {
  const s = new SqliteStore(':memory:');
  let inner: string[] | undefined;
  s.watch('pods', { resourceVersion: '0' }, () => {
    if (!inner) inner = collect(s, { resourceVersion: '0' }).seen;
  });
  s.create('pods', pod('a'));
  s.create('pods', pod('b'));
  assert.deepEqual(inner, ['ADDED a@1', 'ADDED b@2']);
});

test('rolled-back writes are never delivered', () => {
  const s = new SqliteStore(':memory:');
  s.create('pods', pod('a'));
  const { seen } = collect(s, { resourceVersion: '1' });
  assert.throws(() =>
    s.guaranteedUpdate('pods', 'default', 'a', () => {
      s.create('pods', pod('side'));
      throw new Error('abort');
    }),
  );
  s.create('pods', pod('b'));
  assert.deepEqual(seen, ['ADDED b@2']);
});

test('fan-out to 100 watchers stays fast', () => {
  const s = new SqliteStore(':memory:');
  const delays: number[] = [];
  let sentAt = 0;
  for (let i = 0; i < 100; i++) {
    s.watch('pods', { resourceVersion: '0', labelSelector: i % 2 ? 'app=web' : '' }, () => {
      delays.push(performance.now() - sentAt);
    });
  }
  for (let i = 0; i < 200; i++) {
    sentAt = performance.now();
    s.create('pods', pod(`p${i}`, { app: 'web' }));
  }
  assert.equal(delays.length, 100 * 200);
  delays.sort((a, b) => a - b);
  const p99 = delays[Math.floor(delays.length * 0.99)]!;
  assert.ok(p99 < 20, `p99 ${p99} ms`);
});

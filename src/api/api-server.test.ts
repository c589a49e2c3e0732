import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiFixture } from './testing/api-fixture.ts';

const cm = (name: string, data: Record<string, string> = { a: '1' }): object => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const pod = (name: string, extra: object = {}): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    containers: [{ name: 'a', image: 'busybox' }],
    terminationGracePeriodSeconds: 30,
    ...extra,
  },
});

test('createApiServer() serves version, health and the plain-text 404 page', async () => {
  const f = await apiFixture();
  const v = await f.call('GET', '/version');
  assert.equal(v.json.minor, '33');
  assert.equal(v.json.gitVersion, 'v1.33.0');
  assert.equal((await f.call('GET', '/readyz')).text, 'ok');
  const nf = await f.call('GET', '/nope');
  assert.equal(nf.status, 404);
  assert.equal(nf.text, '404 page not found\n');
  assert.equal((await f.call('GET', '/api/v1/zzz')).status, 404);
  f.close();
});

test('discovery answers aggregated v2, v2beta1 and legacy with the exact media types', async () => {
  const f = await apiFixture();
  const accept =
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  const v2 = await f.call('GET', '/apis', undefined, { accept });
  assert.equal(
    v2.headers['content-type'],
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  );
  assert.equal(v2.json.kind, 'APIGroupDiscoveryList');
  const deploy = v2.json.items[0].versions[0].resources[0];
  assert.deepEqual(
    [
      v2.json.items[0].metadata.name,
      deploy.resource,
      deploy.scope,
      deploy.subresources[0].responseKind.kind,
    ],
    ['apps', 'deployments', 'Namespaced', 'Scale'],
  );
  const beta = await f.call('GET', '/api', undefined, {
    accept:
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
  });
  assert.equal(beta.json.apiVersion, 'apidiscovery.k8s.io/v2beta1');
  assert.equal(beta.json.items[0].metadata.name, '');
  const legacy = await f.call('GET', '/api/v1');
  assert.equal(legacy.json.kind, 'APIResourceList');
  assert.ok(legacy.json.resources.some((r: { name: string }) => r.name === 'pods/binding'));
  f.close();
});

test('create fills server metadata; get, list and the errors kube-apiserver gives', async () => {
  const f = await apiFixture();
  const c = await f.call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
  assert.equal(c.status, 201);
  assert.match(c.json.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.equal(c.json.metadata.creationTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(c.json.metadata.namespace, 'default');
  assert.ok(Number(c.json.metadata.resourceVersion) > 0);
  const dup = await f.call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
  assert.equal(dup.status, 409);
  assert.equal(dup.json.message, 'configmaps "one" already exists');
  const missingNs = await f.call('POST', '/api/v1/namespaces/dev/configmaps', cm('x'));
  assert.deepEqual([missingNs.status, missingNs.json.message], [404, 'namespaces "dev" not found']);
  const gen = await f.call('POST', '/api/v1/namespaces/default/configmaps', {
    metadata: { generateName: 'web-' },
  });
  assert.match(gen.json.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const noName = await f.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: {} });
  assert.equal(noName.status, 422);
  assert.equal(
    noName.json.message,
    'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
  );
  const wrongKind = await f.call('POST', '/api/v1/namespaces/default/configmaps', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'x' },
  });
  assert.equal(wrongKind.status, 400);
  const bad = await f.call('POST', '/api/v1/namespaces/default/configmaps', '{not json');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.reason, 'BadRequest');
  const got = await f.call('GET', '/api/v1/namespaces/default/configmaps/one');
  assert.equal(got.json.metadata.uid, c.json.metadata.uid);
  const nf = await f.call('GET', '/api/v1/namespaces/default/configmaps/zzz');
  assert.deepEqual(
    [nf.status, nf.json.reason, nf.json.message, nf.json.details],
    [404, 'NotFound', 'configmaps "zzz" not found', { name: 'zzz', kind: 'configmaps' }],
  );
  const deployNf = await f.call('GET', '/apis/apps/v1/namespaces/default/deployments/x');
  assert.equal(deployNf.json.message, 'deployments.apps "x" not found');
  const list = await f.call('GET', '/api/v1/namespaces/default/configmaps');
  assert.equal(list.json.kind, 'ConfigMapList');
  assert.equal(list.json.items.length, 2);
  const unsupported = await f.call('POST', '/api/v1/namespaces/default/configmaps', 'x', {
    'content-type': 'text/plain',
  });
  assert.equal(unsupported.status, 415);
  f.close();
});

test('update checks resourceVersion; a no-op update writes nothing', async () => {
  const f = await apiFixture();
  const c = (await f.call('POST', '/api/v1/namespaces/default/configmaps', cm('u'))).json;
  const same = await f.call('PUT', '/api/v1/namespaces/default/configmaps/u', c);
  assert.equal(same.json.metadata.resourceVersion, c.metadata.resourceVersion);
  const changed = await f.call('PUT', '/api/v1/namespaces/default/configmaps/u', {
    ...c,
    data: { a: '2' },
  });
  assert.notEqual(changed.json.metadata.resourceVersion, c.metadata.resourceVersion);
  assert.equal(changed.json.metadata.uid, c.metadata.uid);
  const stale = await f.call('PUT', '/api/v1/namespaces/default/configmaps/u', {
    ...c,
    data: { a: '3' },
  });
  assert.equal(stale.status, 409);
  assert.equal(
    stale.json.message,
    'Operation cannot be fulfilled on configmaps "u": the object has been modified; please apply your changes to the latest version and try again',
  );
  const wrongName = await f.call('PUT', '/api/v1/namespaces/default/configmaps/u', {
    ...c,
    metadata: { ...c.metadata, name: 'v' },
  });
  assert.equal(
    wrongName.json.message,
    'the name of the object (v) does not match the name on the URL (u)',
  );
  f.close();
});

test('patch: merge, strategic, json, and server-side apply creating the object', async () => {
  const f = await apiFixture();
  await f.call('POST', '/api/v1/namespaces/default/configmaps', cm('p'));
  let r = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/configmaps/p',
    { data: { b: '2' } },
    { 'content-type': 'application/merge-patch+json' },
  );
  assert.deepEqual(r.json.data, { a: '1', b: '2' });
  r = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/configmaps/p',
    [{ op: 'remove', path: '/data/a' }],
    { 'content-type': 'application/json-patch+json' },
  );
  assert.deepEqual(r.json.data, { b: '2' });
  await f.call('POST', '/api/v1/namespaces/default/pods', pod('sp'));
  r = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/pods/sp',
    { spec: { containers: [{ name: 'a', image: 'busybox:2' }] } },
    { 'content-type': 'application/strategic-merge-patch+json' },
  );
  assert.equal(r.json.spec.containers.length, 1);
  assert.equal(r.json.spec.containers[0].image, 'busybox:2');
  const applied = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/configmaps/ssa?fieldManager=kubectl&fieldValidation=Strict&force=false',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { x: '1' } },
    { 'content-type': 'application/apply-patch+yaml' },
  );
  assert.equal(applied.status, 201);
  assert.equal(applied.json.metadata.managedFields[0].manager, 'kubectl');
  assert.equal(applied.json.metadata.managedFields[0].operation, 'Apply');
  const noManager = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/configmaps/ssa',
    { metadata: { name: 'ssa' } },
    { 'content-type': 'application/apply-patch+yaml' },
  );
  assert.equal(noManager.status, 400);
  const badType = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/configmaps/p',
    {},
    { 'content-type': 'application/json' },
  );
  assert.equal(badType.status, 415);
  f.close();
});

test('pods: status subresource keeps spec; main updates keep status; binding sets nodeName', async () => {
  const f = await apiFixture();
  const p = (await f.call('POST', '/api/v1/namespaces/default/pods', pod('s'))).json;
  const st = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/pods/s/status',
    { status: { phase: 'Running' }, spec: { nodeName: 'sneaky' } },
    { 'content-type': 'application/merge-patch+json' },
  );
  assert.equal(st.json.status.phase, 'Running');
  assert.equal(st.json.spec.nodeName, undefined);
  const up = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/pods/s',
    { status: { phase: 'Failed' }, metadata: { labels: { x: 'y' } } },
    { 'content-type': 'application/merge-patch+json' },
  );
  assert.equal(up.json.status.phase, 'Running');
  assert.equal(up.json.metadata.labels.x, 'y');
  const b = await f.call('POST', '/api/v1/namespaces/default/pods/s/binding', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 's' },
    target: { kind: 'Node', name: 'node1' },
  });
  assert.equal(b.status, 201);
  const bound = (await f.call('GET', '/api/v1/namespaces/default/pods/s')).json;
  assert.equal(bound.spec.nodeName, 'node1');
  assert.equal(
    bound.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled').status,
    'True',
  );
  const again = await f.call('POST', '/api/v1/namespaces/default/pods/s/binding', {
    target: { kind: 'Node', name: 'node2' },
  });
  assert.equal(again.status, 409);
  assert.equal(p.metadata.name, 's');
  f.close();
});

test('graceful pod deletion: bound pods get deletionTimestamp, grace 0 removes, uid precondition', async () => {
  const f = await apiFixture();
  await f.call('POST', '/api/v1/namespaces/default/pods', pod('g', { nodeName: 'node1' }));
  const d = await f.call('DELETE', '/api/v1/namespaces/default/pods/g', {
    propagationPolicy: 'Background',
  });
  assert.equal(d.status, 200);
  assert.equal(d.json.kind, 'Pod');
  assert.equal(d.json.metadata.deletionGracePeriodSeconds, 30);
  assert.equal(d.json.metadata.deletionTimestamp, '2026-01-01T00:00:30Z');
  const longer = await f.call('DELETE', '/api/v1/namespaces/default/pods/g', {
    gracePeriodSeconds: 60,
  });
  assert.equal(longer.json.metadata.deletionGracePeriodSeconds, 30);
  const shorter = await f.call('DELETE', '/api/v1/namespaces/default/pods/g', {
    gracePeriodSeconds: 5,
  });
  assert.equal(shorter.json.metadata.deletionGracePeriodSeconds, 5);
  const wrongUid = await f.call('DELETE', '/api/v1/namespaces/default/pods/g', {
    gracePeriodSeconds: 0,
    preconditions: { uid: 'nope' },
  });
  assert.equal(wrongUid.status, 409);
  const gone = await f.call('DELETE', '/api/v1/namespaces/default/pods/g', {
    gracePeriodSeconds: 0,
    preconditions: { uid: d.json.metadata.uid },
  });
  assert.equal(gone.status, 200);
  assert.equal((await f.call('GET', '/api/v1/namespaces/default/pods/g')).status, 404);
  await f.call('POST', '/api/v1/namespaces/default/pods', pod('unbound'));
  await f.call('DELETE', '/api/v1/namespaces/default/pods/unbound');
  assert.equal((await f.call('GET', '/api/v1/namespaces/default/pods/unbound')).status, 404);
  f.close();
});

test('finalizers hold deletion until removed; non-pod deletes return a Success Status', async () => {
  const f = await apiFixture();
  await f.call('POST', '/api/v1/namespaces/default/configmaps', {
    metadata: { name: 'held', finalizers: ['x/y'] },
  });
  const d = await f.call('DELETE', '/api/v1/namespaces/default/configmaps/held');
  assert.ok(d.json.metadata.deletionTimestamp);
  const live = (await f.call('GET', '/api/v1/namespaces/default/configmaps/held')).json;
  await f.call('PUT', '/api/v1/namespaces/default/configmaps/held', {
    ...live,
    metadata: { ...live.metadata, finalizers: [] },
  });
  assert.equal((await f.call('GET', '/api/v1/namespaces/default/configmaps/held')).status, 404);
  await f.call('POST', '/api/v1/namespaces/default/configmaps', cm('plain'));
  const s = await f.call('DELETE', '/api/v1/namespaces/default/configmaps/plain');
  assert.equal(s.json.kind, 'Status');
  assert.equal(s.json.status, 'Success');
  assert.equal(s.json.details.name, 'plain');
  f.close();
});

test('namespaces go Terminating on delete and are removed once finalized', async () => {
  const f = await apiFixture();
  await f.call('POST', '/api/v1/namespaces', {
    metadata: { name: 'dev' },
    spec: { finalizers: ['kubernetes'] },
  });
  const d = await f.call('DELETE', '/api/v1/namespaces/dev');
  assert.equal(d.json.status.phase, 'Terminating');
  const blocked = await f.call('POST', '/api/v1/namespaces/dev/configmaps', cm('x'));
  assert.equal(blocked.status, 403);
  assert.equal(
    blocked.json.message,
    'configmaps "x" is forbidden: unable to create new content in namespace dev because it is being terminated',
  );
  const live = (await f.call('GET', '/api/v1/namespaces/dev')).json;
  await f.call('PUT', '/api/v1/namespaces/dev/finalize', { ...live, spec: { finalizers: [] } });
  assert.equal((await f.call('GET', '/api/v1/namespaces/dev')).status, 404);
  f.close();
});

test('tables, field selectors, scale subresource and dryRun', async () => {
  const f = await apiFixture();
  await f.call('POST', '/api/v1/namespaces/default/pods', pod('t1', { nodeName: 'n1' }));
  await f.call('POST', '/api/v1/namespaces/default/pods', pod('t2'));
  const t = await f.call('GET', '/api/v1/namespaces/default/pods', undefined, {
    accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
  });
  assert.equal(t.json.kind, 'Table');
  assert.equal(t.json.rows.length, 2);
  const sel = await f.call('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1');
  assert.deepEqual(
    sel.json.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ['t1'],
  );
  await f.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
    metadata: { name: 'd' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'd' } } },
  });
  const scale = await f.call(
    'PATCH',
    '/apis/apps/v1/namespaces/default/deployments/d/scale',
    { spec: { replicas: 3 } },
    { 'content-type': 'application/merge-patch+json' },
  );
  assert.deepEqual(
    [scale.json.kind, scale.json.apiVersion, scale.json.spec.replicas, scale.json.status.selector],
    ['Scale', 'autoscaling/v1', 3, 'app=d'],
  );
  const dep = (await f.call('GET', '/apis/apps/v1/namespaces/default/deployments/d')).json;
  assert.equal(dep.spec.replicas, 3);
  assert.equal(dep.metadata.generation, 2);
  const dry = await f.call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
  assert.equal(dry.status, 201);
  assert.equal((await f.call('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  f.close();
});

test('watch replays from a resourceVersion and streams later changes', async () => {
  const f = await apiFixture();
  const first = (await f.call('POST', '/api/v1/namespaces/default/configmaps', cm('w1'))).json;
  await f.call('POST', '/api/v1/namespaces/default/configmaps', cm('w2'));
  const res = (
    await f.call(
      'GET',
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${first.metadata.resourceVersion}`,
    )
  ).res;
  assert.equal(res.status, 200);
  const it = (res.body as AsyncIterable<string>)[Symbol.asyncIterator]();
  const lines: string[] = [];
  const next = async (): Promise<void> => {
    const r = await it.next();
    if (!r.done) lines.push(...r.value.trim().split('\n'));
  };
  await next();
  await f.call('DELETE', '/api/v1/namespaces/default/configmaps/w1');
  await next();
  await it.return?.(undefined);
  assert.deepEqual(
    lines.map((l) => `${JSON.parse(l).type} ${JSON.parse(l).object.metadata.name}`),
    ['ADDED w2', 'DELETED w1'],
  );
  f.close();
});

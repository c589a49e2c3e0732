import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestPath } from './request-info.ts';

const namespaced = (_g: string, r: string): boolean =>
  ['pods', 'deployments', 'events'].includes(r);

test('parseRequestPath() addresses namespaced objects and subresources', () => {
  assert.deepEqual(parseRequestPath('/api/v1/namespaces/default/pods/web/log', namespaced), {
    type: 'resource',
    info: {
      group: '',
      version: 'v1',
      namespace: 'default',
      resource: 'pods',
      name: 'web',
      subresource: 'log',
      legacyWatch: false,
    },
  });
  const r = parseRequestPath('/apis/apps/v1/namespaces/ns1/deployments', namespaced);
  assert.equal(r.type, 'resource');
  if (r.type === 'resource')
    assert.deepEqual(
      [r.info.group, r.info.namespace, r.info.resource, r.info.name],
      ['apps', 'ns1', 'deployments', ''],
    );
});

test('parseRequestPath() treats namespaces/<name>/status as the namespace subresource', () => {
  const r = parseRequestPath('/api/v1/namespaces/dev/status', namespaced);
  assert.ok(r.type === 'resource');
  assert.deepEqual(
    [r.info.resource, r.info.name, r.info.subresource, r.info.namespace],
    ['namespaces', 'dev', 'status', 'dev'],
  );
  const all = parseRequestPath('/api/v1/pods', namespaced);
  assert.ok(all.type === 'resource');
  assert.deepEqual([all.info.resource, all.info.namespace], ['pods', '']);
});

test('parseRequestPath() recognises discovery paths and legacy watch', () => {
  assert.deepEqual(parseRequestPath('/api', namespaced), { type: 'apiRoot' });
  assert.deepEqual(parseRequestPath('/apis', namespaced), { type: 'apisRoot' });
  assert.deepEqual(parseRequestPath('/apis/apps', namespaced), { type: 'group', group: 'apps' });
  assert.deepEqual(parseRequestPath('/apis/apps/v1', namespaced), {
    type: 'groupVersion',
    group: 'apps',
    version: 'v1',
  });
  const w = parseRequestPath('/api/v1/watch/namespaces/default/pods', namespaced);
  assert.ok(w.type === 'resource' && w.info.legacyWatch && w.info.resource === 'pods');
  assert.deepEqual(parseRequestPath('/version', namespaced), { type: 'other', path: '/version' });
});

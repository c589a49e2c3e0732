import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../k8s/types/pod.ts';
import { selfSignedToken, TokenCache } from './sa-token.ts';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'dev', uid: 'pod-uid' },
  spec: { nodeName: 'node1', serviceAccountName: 'robot', containers: [{ name: 'c' }] },
};

const part = (token: string, i: number): any =>
  JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString());

test('selfSignedToken is a JWT with the claims of a bound service-account token', () => {
  const token = selfSignedToken({
    pod,
    serviceAccountUid: 'sa-uid',
    expirationSeconds: 3607,
    nowMs: 1_700_000_000_000,
  });
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.deepEqual(part(token, 0), { alg: 'HS256', typ: 'JWT' });
  const c = part(token, 1);
  assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(c.sub, 'system:serviceaccount:dev:robot');
  assert.equal(c.iat, 1_700_000_000);
  assert.equal(c.nbf, 1_700_000_000);
  assert.equal(c.exp, 1_700_000_000 + 3607);
  assert.deepEqual(c['kubernetes.io'], {
    namespace: 'dev',
    node: { name: 'node1' },
    pod: { name: 'web', uid: 'pod-uid' },
    serviceaccount: { name: 'robot', uid: 'sa-uid' },
  });
  const withAud = selfSignedToken({
    pod,
    serviceAccountUid: 'x',
    audience: 'vault',
    expirationSeconds: 600,
    nowMs: 0,
  });
  assert.deepEqual(part(withAud, 1).aud, ['vault']);
});

test('TokenCache re-issues after 80% of the lifetime, and forgets a pod', async () => {
  let now = 0;
  let issued = 0;
  const cache = new TokenCache(
    () => Promise.resolve(`t${++issued}`),
    () => now,
  );
  assert.equal(await cache.get(pod, undefined, 100), 't1');
  now = 79_000;
  assert.equal(await cache.get(pod, undefined, 100), 't1');
  assert.equal(await cache.get(pod, 'other', 100), 't2');
  now = 81_000;
  assert.equal(await cache.get(pod, undefined, 100), 't3');
  cache.forget('pod-uid');
  assert.equal(await cache.get(pod, undefined, 100), 't4');
});

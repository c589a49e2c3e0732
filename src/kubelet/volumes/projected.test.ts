import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resources } from '../../client/kube-client.ts';
import type { Pod } from '../../k8s/types/pod.ts';
import { mountAt } from './mounts.ts';
import { isRoot, volumeFixture, type VolumeFixture } from './testing/volume-fixture.ts';

const saPath = '/var/run/secrets/kubernetes.io/serviceaccount';
const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let f: VolumeFixture;
before(async () => (f = await volumeFixture({ memoryBacked: isRoot })));
after(() => f.close());

const apiAccess = (pod: Pod) =>
  pod.spec.volumes!.find((v) => v.name.startsWith('kube-api-access-'))!;
const claims = (token: string): any =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

test('without the ServiceAccount or kube-root-ca.crt the access volume fails as the kubelet reports it', async () => {
  const pod = await f.createPod({}, 'early');
  const name = apiAccess(pod).name;
  await assert.rejects(f.vm.setUpPod(pod), {
    message: `MountVolume.SetUp failed for volume "${name}" : [failed to fetch token: serviceaccounts "default" not found, configmap "kube-root-ca.crt" not found]`,
  });
});

test('the API server-injected kube-api-access volume gives token, ca.crt and namespace, mounted read-only', async () => {
  await f.client.create(resources.serviceAccounts, 'default', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default' },
  });
  await f.configMap('kube-root-ca.crt', { 'ca.crt': pem });
  const pod = await f.createPod({}, 'web');
  const vol = apiAccess(pod);
  await f.vm.setUpPod(pod);
  const dir = join(f.podsDir, pod.metadata.uid!, 'volumes/kubernetes.io~projected', vol.name);
  if (isRoot) assert.equal((await mountAt(dir))?.fsType, 'tmpfs');
  assert.deepEqual((await readdir(dir)).filter((e) => !e.startsWith('..')).sort(), [
    'ca.crt',
    'namespace',
    'token',
  ]);
  assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), pem);
  assert.equal(await readFile(join(dir, 'namespace'), 'utf8'), 'default');
  for (const file of ['ca.crt', 'namespace', 'token'])
    assert.equal((await stat(join(dir, file))).mode & 0o777, 0o644);
  const token = await readFile(join(dir, 'token'), 'utf8');
  const c = claims(token);
  assert.equal(c.sub, 'system:serviceaccount:default:default');
  assert.equal(c.exp - c.iat, 3607);
  assert.equal(c['kubernetes.io'].pod.uid, pod.metadata.uid);
  const sa = await f.client.get(resources.serviceAccounts, 'default', 'default');
  assert.equal(c['kubernetes.io'].serviceaccount.uid, sa.metadata.uid);
  assert.deepEqual(await f.vm.mountsFor(pod, pod.spec.containers[0]!, {}), [
    { containerPath: saPath, hostPath: dir, readOnly: true },
  ]);
  await f.vm.setUpPod(pod);
  assert.equal(
    await readFile(join(dir, 'token'), 'utf8'),
    token,
    'a fresh token is reused, not rewritten',
  );
});

test('projected sources: secret and configMap items, downwardAPI, a token source with audience, and a caCert dep', async () => {
  const asked: string[] = [];
  const g = await volumeFixture({
    memoryBacked: isRoot,
    caCert: () => Promise.resolve(pem),
    serviceAccountToken: (pod, audience, exp) => {
      asked.push(`${pod.metadata.name}|${audience}|${exp}`);
      return Promise.resolve('tok');
    },
  });
  try {
    await g.secret('s', { user: 'u', pass: 'p' });
    await g.configMap('c', { x: 'ex' });
    const pod = g.pod({
      volumes: [
        {
          name: 'all',
          projected: {
            defaultMode: 0o440,
            sources: [
              { secret: { name: 's', items: [{ key: 'pass', path: 'creds/pass', mode: 0o400 }] } },
              { configMap: { name: 'c' } },
              {
                configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
              },
              {
                downwardAPI: {
                  items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }],
                },
              },
              {
                serviceAccountToken: {
                  path: 'vault-token',
                  audience: 'vault',
                  expirationSeconds: 600,
                },
              },
            ],
          },
        },
      ],
    });
    await g.vm.setUpPod(pod);
    const dir = join(g.podsDir, pod.metadata.uid!, 'volumes/kubernetes.io~projected/all');
    const read = (p: string): Promise<string> => readFile(join(dir, p), 'utf8');
    assert.equal(await read('creds/pass'), 'p');
    assert.equal((await stat(join(dir, 'creds/pass'))).mode & 0o777, 0o400);
    assert.equal(await read('x'), 'ex');
    assert.equal((await stat(join(dir, 'x'))).mode & 0o777, 0o440);
    assert.equal(await read('ca.crt'), pem);
    assert.equal(await read('ns'), 'default');
    assert.equal(await read('vault-token'), 'tok');
    assert.deepEqual(asked, ['web|vault|600']);
  } finally {
    await g.close();
  }
});

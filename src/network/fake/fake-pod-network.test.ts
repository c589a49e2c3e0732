import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import type { PodNetworkTarget } from '../pod-network.ts';
import { FakePodNetwork } from './fake-pod-network.ts';

const target = (id: string, hostNetwork = false): PodNetworkTarget => ({
  sandboxId: id,
  podUid: `uid-${id}`,
  podName: id,
  podNamespace: 'default',
  ...(hostNetwork ? {} : { netnsPath: `/run/netns/${id}` }),
});
const readAll = async (s: Socket): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
};

test('setUp allocates lowest-free IPs idempotently; tearDown releases', async () => {
  const net = new FakePodNetwork();
  assert.deepEqual(await net.setUp(target('a')), { ips: ['10.244.0.2'] });
  assert.deepEqual(await net.setUp(target('b')), { ips: ['10.244.0.3'] });
  assert.deepEqual(await net.setUp(target('a')), { ips: ['10.244.0.2'] });
  await net.tearDown(target('a'));
  await net.tearDown(target('a'));
  assert.equal(net.podIPFor('a'), undefined);
  assert.deepEqual(await net.setUp(target('c')), { ips: ['10.244.0.2'] });
  assert.deepEqual(await net.setUp(target('h', true)), { ips: ['192.168.0.10'] });
  assert.deepEqual(
    net.calls.map((c) => `${c.op} ${c.sandboxId}`),
    ['setUp a', 'setUp b', 'setUp a', 'tearDown a', 'tearDown a', 'setUp c', 'setUp h'],
  );
});

test('hostIP is configurable', () => {
  assert.equal(new FakePodNetwork().hostIP(), '192.168.0.10');
  assert.equal(new FakePodNetwork({ hostIP: '10.0.0.5' }).hostIP(), '10.0.0.5');
});

test('dial goes through registered servers, else ECONNREFUSED', async (t) => {
  const net = new FakePodNetwork();
  const server = createServer((s) => s.end('pong'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const a = target('a');
  const ip = (await net.setUp(a)).ips[0]!;
  net.register(ip, 8080, server);
  assert.equal(await readAll(await net.dial(a, 8080)), 'pong');
  assert.equal(await readAll(await net.dial(target('other'), 8080, ip)), 'pong');
  await assert.rejects(net.dial(a, 9090), { code: 'ECONNREFUSED' });
  await assert.rejects(net.dial(target('none'), 8080), { code: 'ECONNREFUSED' });
  await assert.rejects(net.dial(a, 8080, undefined, AbortSignal.abort()), { name: 'AbortError' });
  net.register('192.168.0.10', 80, server);
  assert.equal(await readAll(await net.dial(target('h', true), 80)), 'pong');
  net.unregister(ip, 8080);
  await assert.rejects(net.dial(a, 8080), { code: 'ECONNREFUSED' });
  assert.deepEqual(
    net.calls.filter((c) => c.op === 'dial').map((c) => c.to),
    [
      '10.244.0.2:8080',
      '10.244.0.2:8080',
      '10.244.0.2:9090',
      '?:8080',
      '10.244.0.2:8080',
      '192.168.0.10:80',
      '10.244.0.2:8080',
    ],
  );
});

test('failNext injects a one-shot error per operation', async () => {
  const net = new FakePodNetwork();
  net.failNext('setUp', new Error('CNI exploded'));
  await assert.rejects(net.setUp(target('a')), /CNI exploded/);
  assert.deepEqual(await net.setUp(target('a')), { ips: ['10.244.0.2'] });
  net.failNext('tearDown', new Error('busy'));
  await assert.rejects(net.tearDown(target('a')), /busy/);
  assert.equal(net.podIPFor('a'), '10.244.0.2');
  net.failNext('dial', new Error('nope'));
  await assert.rejects(net.dial(target('a'), 1), /nope/);
});

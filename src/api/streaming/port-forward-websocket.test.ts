import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { nullLogger } from '../../lib/log.ts';
import { handlePortForwardUpgrade } from './streaming-upgrade.ts';
import { echoTarget } from './testing/echo-server.ts';
import { upgradeServer } from './testing/fake-session.ts';

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const target = await echoTarget();
  const srv = await upgradeServer((req, socket, head) =>
    handlePortForwardUpgrade(req, socket, head, {
      ports: undefined,
      dial: target.dial,
      podName: 'web',
      podUid: 'u1',
      log: nullLogger,
    }),
  );
  try {
    await fn(srv.port);
  } finally {
    await srv.close();
    await target.close();
  }
}

async function forwardOnce(port: number, payload: Buffer, protocols: string[]): Promise<Buffer> {
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/api/v1/namespaces/default/pods/web/portforward?ports=80`,
    protocols,
  );
  const byChannel = new Map<number, Buffer[]>();
  ws.on('message', (d: Buffer) => {
    const list = byChannel.get(d[0] ?? 0) ?? [];
    list.push(d.subarray(1));
    byChannel.set(d[0] ?? 0, list);
  });
  await new Promise((r) => ws.once('open', r));
  if (protocols.length) assert.equal(ws.protocol, 'v4.channel.k8s.io');
  for (let off = 0; off < payload.length; off += 100_000)
    ws.send(Buffer.concat([Buffer.from([0]), payload.subarray(off, off + 100_000)]));
  const want = payload.length + 2;
  for (let i = 0; i < 500; i++) {
    const got = Buffer.concat(byChannel.get(0) ?? []);
    if (got.length >= want) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  ws.close();
  const data = Buffer.concat(byChannel.get(0) ?? []);
  const err = Buffer.concat(byChannel.get(1) ?? []);
  assert.equal(data.readUInt16LE(0), 80);
  assert.equal(err.readUInt16LE(0), 80);
  assert.equal(err.length, 2);
  return data.subarray(2);
}

test('channel-protocol port-forward: port prefix, 10 MB intact, several at once', async () => {
  await withServer(async (port) => {
    const payloads = [randomBytes(10 * 1024 * 1024), randomBytes(1000), Buffer.from('hi')];
    const got = await Promise.all(
      payloads.map((p, i) =>
        forwardOnce(port, p, i === 2 ? [] : ['v5.channel.k8s.io', 'v4.channel.k8s.io']),
      ),
    );
    got.forEach((g, i) => assert.ok(g.equals(payloads[i] ?? Buffer.alloc(0)), `payload ${i}`));
  });
});

test('channel-protocol port-forward: a refused port is reported on the error channel', async () => {
  await withServer(async (port) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x/portforward?ports=81`, [
      'v4.channel.k8s.io',
    ]);
    const errs: Buffer[] = [];
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) errs.push(d.subarray(1));
    });
    await new Promise((r) => ws.once('close', r));
    const all = Buffer.concat(errs);
    assert.equal(all.readUInt16LE(0), 81);
    assert.match(
      all.subarray(2).toString(),
      /^error forwarding port 81 to pod web, uid u1: .*connection refused$/,
    );
  });
});

test('channel-protocol port-forward without ports is a 400', async () => {
  await withServer(async (port) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x/portforward`, ['v4.channel.k8s.io']);
    const status = await new Promise<number>((r) => {
      ws.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    assert.equal(status, 400);
  });
});

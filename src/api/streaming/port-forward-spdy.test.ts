import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { nullLogger } from '../../lib/log.ts';
import { handlePortForwardUpgrade } from './streaming-upgrade.ts';
import { echoTarget } from './testing/echo-server.ts';
import { upgradeServer } from './testing/fake-session.ts';
import { rawUpgrade, rawWebSocket } from './testing/raw-clients.ts';
import { SpdyTestClient } from './testing/spdy-test-client.ts';

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const target = await echoTarget();
  const srv = await upgradeServer((req, socket, head) =>
    handlePortForwardUpgrade(req, socket, head, {
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

/** Runs several forwarded connections (one of 10 MB), a refused one and a PING. */
async function exercise(client: SpdyTestClient): Promise<void> {
  const payloads = [randomBytes(10 * 1024 * 1024), Buffer.from('hello'), randomBytes(100_000)];
  const runs = payloads.map(async (payload, i) => {
    const error = client.open({ streamtype: 'error', port: '80', requestid: String(i) });
    client.send(error.id, '', true);
    const data = client.open({ streamtype: 'data', port: '80', requestid: String(i) });
    await error.replied;
    await data.replied;
    for (let off = 0; off < payload.length; off += 65536)
      client.send(data.id, payload.subarray(off, off + 65536));
    client.send(data.id, '', true);
    assert.equal(await data.ended, 'fin');
    assert.ok(Buffer.concat(data.data).equals(payload), `connection ${i} intact`);
    assert.equal(error.text(), '');
  });
  client.ping(42);
  client.noise();
  await Promise.all(runs);
  const error = client.open({ streamtype: 'error', port: '81', requestid: '9' });
  client.send(error.id, '', true);
  const data = client.open({ streamtype: 'data', port: '81', requestid: '9' });
  assert.equal(await error.ended, 'fin');
  assert.match(
    error.text(),
    /^error forwarding port 81 to pod web, uid u1: failed to connect to localhost:81 inside namespace "u1": connection refused$/,
  );
  await data.ended;
  assert.deepEqual(client.pings, [42]);
}

test('port-forward over plain SPDY upgrade', async () => {
  await withServer(async (port) => {
    const up = await rawUpgrade(
      port,
      'POST /api/v1/namespaces/default/pods/web/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n' +
        'Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n',
    );
    assert.equal(up.status, 101);
    assert.match(up.headers, /X-Stream-Protocol-Version: portforward\.k8s\.io/);
    const client = new SpdyTestClient((b) => up.socket.write(b));
    up.socket.on('data', (c: Buffer) => client.receive(c));
    if (up.rest.length) client.receive(up.rest);
    up.socket.resume();
    await exercise(client);
    client.goaway();
    await client.flushed();
    up.socket.destroy();
    client.close();
  });
});

test('port-forward over the SPDY WebSocket tunnel with arbitrary fragmentation', async () => {
  await withServer(async (port) => {
    const ws = await rawWebSocket(
      port,
      '/api/v1/namespaces/default/pods/web/portforward',
      'SPDY/3.1+portforward.k8s.io',
    );
    assert.equal(ws.status, 101);
    assert.match(ws.headers, /Sec-WebSocket-Protocol: SPDY\/3\.1\+portforward\.k8s\.io/i);
    const client = new SpdyTestClient((b) => {
      // Split like kubectl does: tiny pieces, some empty messages.
      let off = 0;
      while (off < b.length) {
        const n = off === 0 ? 2 : Math.min(b.length - off, 1 + Math.floor(Math.random() * 40000));
        ws.send(b.subarray(off, off + n));
        if (Math.random() < 0.05) ws.send(Buffer.alloc(0));
        off += n;
      }
    });
    ws.onMessage((d, op) => {
      if (op === 2) client.receive(d);
    });
    await exercise(client);
    ws.socket.destroy();
    client.close();
  });
});

test('plain SPDY upgrade offering only unknown protocols gets a 400 Status', async () => {
  await withServer(async (port) => {
    const up = await rawUpgrade(
      port,
      'POST /x/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
        'X-Stream-Protocol-Version: nope.k8s.io\r\nContent-Length: 0\r\n\r\n',
    );
    assert.equal(up.status, 400);
    const status = JSON.parse(await up.body()) as Record<string, unknown>;
    assert.equal(status['kind'], 'Status');
    assert.equal(status['reason'], 'BadRequest');
  });
});

test('a client vanishing mid-transfer does not disturb the server', async () => {
  await withServer(async (port) => {
    const connect = async () => {
      const up = await rawUpgrade(
        port,
        'POST /x/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
          'X-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n',
      );
      const client = new SpdyTestClient((b) => {
        if (!up.socket.destroyed) up.socket.write(b);
      });
      up.socket.on('data', (c: Buffer) => client.receive(c));
      up.socket.on('error', () => undefined);
      up.socket.resume();
      return { up, client };
    };
    const first = await connect();
    const error = first.client.open({ streamtype: 'error', port: '80', requestid: '0' });
    const data = first.client.open({ streamtype: 'data', port: '80', requestid: '0' });
    await Promise.all([error.replied, data.replied]);
    const big = randomBytes(5 * 1024 * 1024);
    for (let off = 0; off < big.length; off += 65536)
      first.client.send(data.id, big.subarray(off, off + 65536));
    await new Promise((r) => setTimeout(r, 5));
    first.up.socket.destroy();
    first.client.close();
    await new Promise((r) => setTimeout(r, 100));
    const second = await connect();
    await exercise(second.client);
    second.up.socket.destroy();
    second.client.close();
  });
});

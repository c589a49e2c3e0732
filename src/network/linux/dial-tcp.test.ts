import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { dialTcp } from './dial-tcp.ts';

test('dialTcp connects, and rejects with ECONNREFUSED on a closed port', async (t) => {
  const server = createServer((s) => s.end('hi'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const socket = await dialTcp('127.0.0.1', port);
  const chunks: Buffer[] = [];
  for await (const c of socket) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'hi');

  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const closedPort = (closed.address() as AddressInfo).port;
  closed.close();
  await assert.rejects(dialTcp('127.0.0.1', closedPort), { code: 'ECONNREFUSED' });
});

test('dialTcp honours an AbortSignal, before and during the connect', async (t) => {
  await assert.rejects(dialTcp('127.0.0.1', 1, AbortSignal.abort()), { name: 'AbortError' });
  const server = createServer((s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const ac = new AbortController();
  const p = dialTcp('127.0.0.1', (server.address() as AddressInfo).port, ac.signal);
  ac.abort(); // the connect is still in flight
  await assert.rejects(p, { name: 'AbortError' });
});

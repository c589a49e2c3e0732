import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { httpTransport } from './http-transport.ts';
import { readBody } from './transport.ts';

/**
 * A minimal keep-alive HTTP server that answers the first request of each connection and
 * closes the connection, unanswered, when a second one arrives on it: the race of a server's
 * idle timeout firing as the client reuses the connection. `dropFirst` also drops first ones.
 */
async function racyServer(
  dropFirst = false,
): Promise<{ url: string; seen: string[]; close(): void }> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let n = 0;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      while (buf.includes('\r\n\r\n')) {
        const head = buf.slice(0, buf.indexOf('\r\n\r\n'));
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        n++;
        seen.push(`${head.split(' ')[1] ?? ''} #${n}`);
        if (n > 1 || dropFirst) {
          socket.destroy();
          return;
        }
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=65\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('a request that meets a kept-alive connection closing under it is sent again, once', async () => {
  const s = await racyServer();
  try {
    const send = httpTransport({ server: s.url });
    const first = await send({ method: 'GET', path: '/a', headers: {} });
    assert.equal(await readBody(first.body), 'ok');
    const second = await send({ method: 'DELETE', path: '/b', headers: {} });
    assert.equal(second.status, 200);
    assert.equal(await readBody(second.body), 'ok');
    // /b reached the closing connection (unanswered), then a fresh one.
    assert.deepEqual(s.seen, ['/a #1', '/b #2', '/b #1']);
  } finally {
    s.close();
  }
});

test('a fresh connection dropped without an answer is an error, not retried', async () => {
  const s = await racyServer(true);
  try {
    const send = httpTransport({ server: s.url });
    await assert.rejects(send({ method: 'GET', path: '/a', headers: {} }), { code: 'ECONNRESET' });
    assert.deepEqual(s.seen, ['/a #1']);
  } finally {
    s.close();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nullLogger } from '../../lib/log.ts';
import { handleExecUpgrade } from './streaming-upgrade.ts';
import { fakeSession, upgradeServer, type FakeSession } from './testing/fake-session.ts';
import { rawUpgrade } from './testing/raw-clients.ts';
import { SpdyTestClient } from './testing/spdy-test-client.ts';

async function connect(port: number, query: string, protocols: string[]) {
  const up = await rawUpgrade(
    port,
    `POST /api/v1/namespaces/default/pods/p/exec?${query} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n` +
      `Upgrade: SPDY/3.1\r\n${protocols.map((p) => `X-Stream-Protocol-Version: ${p}\r\n`).join('')}Content-Length: 0\r\n\r\n`,
  );
  const client = new SpdyTestClient((b) => up.socket.write(b));
  up.socket.on('data', (c: Buffer) => client.receive(c));
  if (up.rest.length) client.receive(up.rest);
  up.socket.resume();
  const closed = new Promise<void>((r) => up.socket.once('close', () => r()));
  return { up, client, closed };
}

async function withExec(session: FakeSession, fn: (port: number) => Promise<void>): Promise<void> {
  const srv = await upgradeServer((req, socket, head) =>
    handleExecUpgrade(req, socket, head, {
      start: () => Promise.resolve(session),
      isAttach: false,
      log: nullLogger,
    }),
  );
  try {
    await fn(srv.port);
  } finally {
    await srv.close();
  }
}

const allProtocols = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
];

test('exec over SPDY: streams, stdin FIN as EOF, Success status, then close', async () => {
  const session = fakeSession({ echo: true });
  await withExec(session, async (port) => {
    const { up, client, closed } = await connect(
      port,
      'command=cat&stdin=true&stdout=true&stderr=true',
      allProtocols,
    );
    assert.equal(up.status, 101);
    assert.match(up.headers, /X-Stream-Protocol-Version: v5\.channel\.k8s\.io/);
    const error = client.open({ streamtype: 'error' });
    await error.replied;
    const stdin = client.open({ streamtype: 'stdin' });
    await stdin.replied;
    const stdout = client.open({ streamtype: 'stdout' });
    await stdout.replied;
    const stderr = client.open({ streamtype: 'stderr' });
    await stderr.replied;
    client.send(stdin.id, 'abc');
    client.send(stdin.id, 'def', true);
    assert.equal(await stdout.ended, 'fin');
    assert.equal(stdout.text(), 'abcdef');
    await error.ended;
    assert.deepEqual(JSON.parse(error.text()), { metadata: {}, status: 'Success' });
    await closed;
    client.close();
  });
});

test('exec over SPDY: tty resize stream and a non-zero exit code', async () => {
  const session = fakeSession();
  await withExec(session, async (port) => {
    const { client, closed } = await connect(
      port,
      'command=sh&command=-c&command=exit%203&stdin=true&stdout=true&tty=true',
      ['v4.channel.k8s.io'],
    );
    const error = client.open({ streamtype: 'error' });
    const stdin = client.open({ streamtype: 'stdin' });
    const stdout = client.open({ streamtype: 'stdout' });
    const resize = client.open({ streamtype: 'resize' });
    await Promise.all([error.replied, stdin.replied, stdout.replied, resize.replied]);
    client.send(resize.id, '{"Width":90,"Height":20}\n{"Width":100,');
    client.send(resize.id, '"Height":40}\n');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(session.resizes, [
      [90, 20],
      [100, 40],
    ]);
    session.stdout.write('out');
    session.exit(3);
    await error.ended;
    const status = JSON.parse(error.text()) as Record<string, unknown>;
    assert.equal(status['reason'], 'NonZeroExitCode');
    assert.deepEqual(status['details'], { causes: [{ reason: 'ExitCode', message: '3' }] });
    assert.equal(stdout.text(), 'out');
    await closed;
    client.close();
  });
});

test('exec over SPDY: the client going away kills the process', async () => {
  const session = fakeSession();
  await withExec(session, async (port) => {
    const { up, client } = await connect(port, 'command=sleep&stdout=true', ['v4.channel.k8s.io']);
    const error = client.open({ streamtype: 'error' });
    const stdout = client.open({ streamtype: 'stdout' });
    await Promise.all([error.replied, stdout.replied]);
    await new Promise((r) => setTimeout(r, 30));
    up.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(session.killed, true);
    client.close();
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { nullLogger } from '../../lib/log.ts';
import { handleExecUpgrade } from './streaming-upgrade.ts';
import { fakeSession, upgradeServer, type FakeSession } from './testing/fake-session.ts';

interface Received {
  protocol: string;
  messages: Buffer[];
  closeCode: number;
}

async function runClient(
  url: string,
  protocols: string[],
  script: (ws: WebSocket) => void,
): Promise<Received> {
  const ws = new WebSocket(url, protocols);
  const messages: Buffer[] = [];
  ws.on('message', (d: Buffer) => messages.push(d));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  script(ws);
  const closeCode = await new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
  return { protocol: ws.protocol, messages, closeCode };
}

function channelText(messages: Buffer[], channel: number): string {
  return Buffer.concat(
    messages.filter((m) => m[0] === channel).map((m) => m.subarray(1)),
  ).toString();
}

async function withExec(
  session: FakeSession,
  isAttach: boolean,
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const srv = await upgradeServer((req, socket, head) =>
    handleExecUpgrade(req, socket, head, {
      start: () => Promise.resolve(session),
      isAttach,
      log: nullLogger,
    }),
  );
  try {
    await fn(srv.port);
  } finally {
    await srv.close();
  }
}

test('v5: stdin echoes to stdout, close signal ends stdin, Success status then close 1000', async () => {
  const session = fakeSession({ echo: true });
  await withExec(session, false, async (port) => {
    const got = await runClient(
      `ws://127.0.0.1:${port}/api/v1/namespaces/default/pods/p/exec?command=cat&stdin=true&stdout=true&stderr=true`,
      ['v5.channel.k8s.io'],
      (ws) => {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello ')]));
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('world')]));
        ws.send(Buffer.from([255, 0]));
      },
    );
    assert.equal(got.protocol, 'v5.channel.k8s.io');
    assert.equal(channelText(got.messages, 1), 'hello world');
    assert.deepEqual(JSON.parse(channelText(got.messages, 3)), { metadata: {}, status: 'Success' });
    assert.equal(got.closeCode, 1000);
  });
});

test('non-zero exit code becomes NonZeroExitCode with the ExitCode cause', async () => {
  const session = fakeSession();
  await withExec(session, false, async (port) => {
    const got = await runClient(
      `ws://127.0.0.1:${port}/x/exec?command=sh&command=-c&command=exit%203&stdout=true&stderr=true`,
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
      () => {
        session.stderr.write('oops\n');
        setTimeout(() => session.exit(3), 20);
      },
    );
    assert.equal(channelText(got.messages, 2), 'oops\n');
    const status = JSON.parse(channelText(got.messages, 3)) as Record<string, unknown>;
    assert.equal(status['reason'], 'NonZeroExitCode');
    assert.equal(
      status['message'],
      'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    );
    assert.deepEqual(status['details'], { causes: [{ reason: 'ExitCode', message: '3' }] });
  });
});

test('v4 and tty: resize messages reach the session, stderr is not used', async () => {
  const session = fakeSession();
  await withExec(session, false, async (port) => {
    const got = await runClient(
      `ws://127.0.0.1:${port}/x/exec?command=sh&stdin=true&stdout=true&tty=true`,
      ['v4.channel.k8s.io'],
      (ws) => {
        ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":30}\n')]));
        ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,')]));
        ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('"Height":24}\n')]));
        setTimeout(() => {
          session.stdout.write('$ ');
          session.exit(0);
        }, 50);
      },
    );
    assert.equal(got.protocol, 'v4.channel.k8s.io');
    assert.deepEqual(session.resizes, [
      [120, 30],
      [80, 24],
    ]);
    assert.equal(channelText(got.messages, 1), '$ ');
    assert.equal(JSON.parse(channelText(got.messages, 3)).status, 'Success');
  });
});

test('attach reports Success even for a non-zero exit and does not kill on detach', async () => {
  const session = fakeSession();
  await withExec(session, true, async (port) => {
    const got = await runClient(
      `ws://127.0.0.1:${port}/x/attach?stdout=true`,
      ['v5.channel.k8s.io'],
      () => setTimeout(() => session.exit(5), 20),
    );
    assert.equal(JSON.parse(channelText(got.messages, 3)).status, 'Success');
  });
  const detached = fakeSession();
  await withExec(detached, true, async (port) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x/attach?stdout=true`, ['v5.channel.k8s.io']);
    await new Promise((r) => ws.once('open', r));
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(detached.killed, false);
  });
});

test('exec is killed when the client goes away', async () => {
  const session = fakeSession();
  await withExec(session, false, async (port) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x/exec?command=sleep&stdout=true`, [
      'v5.channel.k8s.io',
    ]);
    await new Promise((r) => ws.once('open', r));
    await new Promise((r) => setTimeout(r, 20));
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(session.killed, true);
  });
});

test('v4.base64: text frames with an ASCII channel digit', async () => {
  const session = fakeSession({ echo: true });
  await withExec(session, false, async (port) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x/exec?command=cat&stdin=true&stdout=true`, [
      'v4.base64.channel.k8s.io',
    ]);
    const texts: string[] = [];
    ws.on('message', (d: Buffer) => texts.push(d.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send('0' + Buffer.from('hi').toString('base64'));
    setTimeout(() => session.stdin.end(), 50);
    await new Promise((r) => ws.once('close', r));
    const out = texts
      .filter((t) => t.startsWith('1'))
      .map((t) => Buffer.from(t.slice(1), 'base64').toString());
    assert.equal(out.join(''), 'hi');
    assert.ok(texts.some((t) => t.startsWith('3')));
  });
});

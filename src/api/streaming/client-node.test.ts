/**
 * Compatibility with @kubernetes/client-node 1.x (the official JS client): exec and attach over
 * the channel protocol it offers, and its port-forward over the WebSocket channel protocol.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Attach, Exec, KubeConfig, PortForward, type V1Status } from '@kubernetes/client-node';
import { nullLogger } from '../../lib/log.ts';
import { handleExecUpgrade, handlePortForwardUpgrade } from './streaming-upgrade.ts';
import { echoTarget } from './testing/echo-server.ts';
import { fakeSession, upgradeServer } from './testing/fake-session.ts';

function kubeConfig(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  return { stream, text: () => Buffer.concat(parts).toString() };
}

/** The part of a client-node WebSocket these tests use. */
interface ClosableSocket {
  readonly readyState: number;
  readonly CLOSED: number;
  readonly protocol: string;
  close(): void;
  once(event: 'close', cb: () => void): unknown;
}

function closed(ws: ClosableSocket): Promise<void> {
  return new Promise((r) => {
    if (ws.readyState === ws.CLOSED) r();
    else ws.once('close', () => r());
  });
}

test('client-node exec: stdin echo, exit code in the status callback (v5)', async () => {
  const srv = await upgradeServer((req, socket, head) =>
    handleExecUpgrade(req, socket, head, {
      isAttach: (req.url ?? '').includes('/attach'),
      log: nullLogger,
      start: () => Promise.resolve(fakeSession({ echo: true, exitCode: 3 })),
    }),
  );
  try {
    const kc = kubeConfig(srv.port);
    const out = collect();
    const input = new PassThrough();
    let status: V1Status | undefined;
    const ws: ClosableSocket = await new Exec(kc).exec(
      'default',
      'x',
      'c',
      ['sh', '-c', 'cat; exit 3'],
      out.stream,
      null,
      input,
      false,
      (s) => (status = s),
    );
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    input.end('from client-node\n');
    await closed(ws);
    assert.equal(out.text(), 'from client-node\n');
    assert.equal(status?.reason, 'NonZeroExitCode');
    assert.equal(status?.details?.causes?.[0]?.message, '3');

    const attachOut = collect();
    const attachIn = new PassThrough();
    const aws: ClosableSocket = await new Attach(kc).attach(
      'default',
      'x',
      'c',
      attachOut.stream,
      null,
      attachIn,
      false,
    );
    attachIn.end('attached\n');
    await closed(aws);
    assert.equal(attachOut.text(), 'attached\n');
  } finally {
    await srv.close();
  }
});

test('client-node port-forward over the WebSocket channel protocol', async () => {
  const target = await echoTarget();
  const srv = await upgradeServer((req, socket, head) =>
    handlePortForwardUpgrade(req, socket, head, {
      dial: target.dial,
      podName: 'x',
      podUid: 'u1',
      log: nullLogger,
    }),
  );
  try {
    const out = collect();
    const errs = collect();
    const input = new PassThrough();
    const ws = (await new PortForward(kubeConfig(srv.port)).portForward(
      'default',
      'x',
      [80],
      out.stream,
      errs.stream,
      input,
    )) as unknown as ClosableSocket;
    input.write('ping over client-node');
    for (let i = 0; i < 100 && out.text() === ''; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(out.text(), 'ping over client-node');
    assert.equal(errs.text(), '');
    ws.close();
    await closed(ws);
  } finally {
    await srv.close();
    await target.close();
  }
});

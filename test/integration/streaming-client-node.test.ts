/**
 * @kubernetes/client-node 1.x against real pods (issue 6): log follow (lines as they come, the
 * stream ending with the container), exec with stdin and the exit code in the status callback,
 * and port-forward (its WebSocket channel protocol) carrying HTTP to the nginx stand-in.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  CoreV1Api,
  Exec,
  KubeConfig,
  Log,
  PortForward,
  type V1Status,
} from '@kubernetes/client-node';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { importDemoImages } from '../support/images/demo-images.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { runcContainersLeft } from '../support/runc-left.ts';

const skip = nodeAgentUnavailable() ?? false;

/** A writable collecting text; `ended` resolves when the writer ends it. */
function sink(): { stream: Writable; text: () => string; ended: Promise<void> } {
  let text = '';
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
    final(cb) {
      resolveEnded();
      cb();
    },
  });
  return { stream, text: () => text, ended };
}

/** A createNamespacedPod request for a one-container pod that is not restarted. */
const pod = (name: string, image: string, command?: string[]) => ({
  namespace: 'default',
  body: {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'main', image, ...(command ? { command } : {}) }],
    },
  },
});

const waitFor = async (what: string, fn: () => boolean | Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('@kubernetes/client-node against real pods', { skip }, () => {
  let d: TestDaemon;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let runcRoot = '';

  const phase = async (name: string): Promise<string | undefined> =>
    (await core.readNamespacedPod({ namespace: 'default', name })).status?.phase;

  before(async () => {
    d = await startTestDaemon(undefined, { nodeAgent: true });
    await importDemoImages(d.daemon.agent!.images);
    runcRoot = d.daemon.agent!.runtime.paths.runcRoot;
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'podbay', server: d.daemon.url, skipTLSVerify: true }],
      users: [{ name: 'podbay', token: 'podbay' }],
      contexts: [{ name: 'podbay', cluster: 'podbay', user: 'podbay' }],
      currentContext: 'podbay',
    });
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod(pod('web', 'nginx:1.27'));
    await core.createNamespacedPod(pod('shell', 'busybox:1.36', ['sleep', '100000']));
    await waitFor(
      'pods running',
      async () => (await phase('web')) === 'Running' && (await phase('shell')) === 'Running',
    );
  });

  after(async () => {
    await d?.stop();
    const left = runcContainersLeft(runcRoot);
    assert.equal(left, '', 'no containers left');
  });

  test('log follow: lines arrive while the container runs; the stream ends with it', async () => {
    const command = ['sh', '-c', 'for i in 1 2 3 4 5; do echo tick-$i; sleep 0.5; done'];
    await core.createNamespacedPod(pod('ticker', 'busybox:1.36', command));
    await waitFor('ticker running', async () => (await phase('ticker')) !== 'Pending');
    const out = sink();
    await new Log(kc).log('default', 'ticker', 'main', out.stream, {
      follow: true,
      timestamps: false,
    });
    await waitFor('the first tick', () => out.text().includes('tick-1'));
    assert.ok(!out.text().includes('tick-5'), 'lines arrive as they are written');
    await out.ended;
    assert.equal(out.text(), 'tick-1\ntick-2\ntick-3\ntick-4\ntick-5\n');
  });

  test('exec: stdin in, stdout and stderr apart, the exit code in the status', async () => {
    const stdout = sink();
    const stderr = sink();
    const stdin = new PassThrough();
    let status: V1Status | undefined;
    const ws = await new Exec(kc).exec(
      'default',
      'shell',
      'main',
      ['sh', '-c', 'cat; echo to-err >&2; exit 4'],
      stdout.stream,
      stderr.stream,
      stdin,
      false,
      (s) => (status = s),
    );
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    stdin.end('from client-node\n');
    await waitFor('the status', () => status !== undefined);
    assert.equal(stdout.text(), 'from client-node\n');
    assert.equal(stderr.text(), 'to-err\n');
    assert.equal(status?.status, 'Failure');
    assert.equal(status?.reason, 'NonZeroExitCode');
    assert.equal(status?.details?.causes?.[0]?.message, '4');

    let ok: V1Status | undefined;
    const out = sink();
    await new Exec(kc).exec(
      'default',
      'shell',
      'main',
      ['hostname'],
      out.stream,
      null,
      null,
      false,
      (s) => (ok = s),
    );
    await waitFor('the second status', () => ok !== undefined);
    assert.equal(ok?.status, 'Success');
    assert.equal(out.text(), 'shell\n');
  });

  test('port-forward: HTTP to the nginx stand-in through a local listener', async () => {
    const forward = new PortForward(kc);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      forward
        .portForward('default', 'web', [80], socket, null, socket)
        .catch(() => socket.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      for (let i = 0; i < 3; i++) {
        const page = await new Promise<string>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c.toString()));
              res.on('end', () => resolve(body));
            })
            .on('error', reject);
        });
        assert.match(page, /Welcome to nginx/);
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

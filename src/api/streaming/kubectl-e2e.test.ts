/**
 * End-to-end against the real kubectl 1.33 (skipped when absent): a tiny API server answers
 * /version, legacy discovery and GET pod, and hands exec/port-forward upgrades to this module.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { nullLogger } from '../../lib/log.ts';
import { handleExecUpgrade, handlePortForwardUpgrade } from './streaming-upgrade.ts';
import { echoTarget } from './testing/echo-server.ts';
import { fakeSession, type FakeSession } from './testing/fake-session.ts';

function findKubectl(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const p = path.join(dir, 'kubectl');
    if (!existsSync(p)) continue;
    const versioned = path.join(path.dirname(realpathSync(p)), 'kubectl.1.33');
    return existsSync(versioned) ? versioned : p;
  }
  return undefined;
}

const kubectl = findKubectl();

/** An older kubectl next to the 1.33 binary, if installed. */
function olderKubectl(minor: number): string | undefined {
  if (!kubectl) return undefined;
  const p = path.join(path.dirname(kubectl), `kubectl.1.${minor}`);
  return existsSync(p) ? p : undefined;
}
const skip = kubectl ? false : 'kubectl not found';
const skipTty = skip || (existsSync('/usr/bin/script') ? false : 'script(1) not found');

const pod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'x', namespace: 'default', uid: 'u1', resourceVersion: '1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Running' },
};

const resources = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['get', 'list'],
      shortNames: ['po'],
    },
    {
      name: 'pods/exec',
      singularName: '',
      namespaced: true,
      kind: 'PodExecOptions',
      verbs: ['create', 'get'],
    },
    {
      name: 'pods/attach',
      singularName: '',
      namespaced: true,
      kind: 'PodAttachOptions',
      verbs: ['create', 'get'],
    },
    {
      name: 'pods/portforward',
      singularName: '',
      namespaced: true,
      kind: 'PodPortForwardOptions',
      verbs: ['create', 'get'],
    },
  ],
};

function route(url: string): object | undefined {
  const p = url.split('?')[0];
  if (p === '/version')
    return { major: '1', minor: '33', gitVersion: 'v1.33.0', platform: 'linux/amd64' };
  if (p === '/api')
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (p === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
  if (p === '/api/v1') return resources;
  if (p === '/api/v1/namespaces/default/pods/x') return pod;
  return undefined;
}

let server: http.Server;
let dir = '';
let kubeconfig = '';
let closeTarget: () => Promise<void> = () => Promise.resolve();
/** The `Upgrade` header of every upgrade request seen, to check which transport was used. */
const upgrades: string[] = [];
let lastSession: FakeSession | undefined;
let lastTty = false;

before(async () => {
  if (skip) return;
  const target = await echoTarget();
  closeTarget = target.close;
  server = http.createServer((req, res) => {
    const body = route(req.url ?? '/');
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        body ?? {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: 404,
          reason: 'NotFound',
          message: 'not found',
        },
      ),
    );
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = req.url ?? '';
    upgrades.push(
      `${req.headers.upgrade ?? ''} ${req.headers['sec-websocket-protocol'] ?? ''}`.trim(),
    );
    if (url.includes('/portforward'))
      handlePortForwardUpgrade(req, socket, head, {
        dial: target.dial,
        podName: 'x',
        podUid: 'u1',
        log: nullLogger,
      });
    else
      handleExecUpgrade(req, socket, head, {
        isAttach: url.includes('/attach'),
        log: nullLogger,
        start: (opts) => {
          const s = fakeSession({ echo: opts.stdin, exitCode: opts.tty ? 0 : 3 });
          lastSession = s;
          lastTty = opts.tty;
          if (!opts.stdin) {
            s.stdout.write('hello from exec\n');
            setTimeout(() => s.exit(3), 20);
          }
          return Promise.resolve(s);
        },
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(path.join(tmpdir(), 'podbay-kubectl-'));
  kubeconfig = path.join(dir, 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\n` +
      `contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n`,
  );
});

after(async () => {
  if (skip) return;
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await closeTarget();
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: dir, KUBECONFIG: kubeconfig, ...extra };
}

function run(
  args: string[],
  extra: Record<string, string> = {},
  input?: string,
  bin = kubectl ?? 'kubectl',
) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      bin,
      args,
      { env: env(extra), timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

for (const [name, extra] of [
  ['WebSocket', {}],
  ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
] as const) {
  test(`kubectl exec over ${name}: output and exit code`, { skip }, async () => {
    upgrades.length = 0;
    const r = await run(['exec', 'x', '--', 'sh', '-c', 'exit 3'], extra);
    assert.equal(r.stdout, 'hello from exec\n', r.stderr);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(upgrades, [name === 'SPDY' ? 'SPDY/3.1' : 'websocket v5.channel.k8s.io']);
  });

  test(`kubectl exec -i over ${name}: stdin reaches the process`, { skip }, async () => {
    const r = await run(['exec', '-i', 'x', '--', 'cat'], extra, 'piped input\n');
    assert.equal(r.stdout, 'piped input\n', r.stderr);
    assert.equal(r.code, 3, r.stderr);
  });
}

for (const [name, extra] of [
  ['WebSocket tunnel', {}],
  ['SPDY', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
] as const) {
  test(`kubectl port-forward over ${name}`, { skip }, async () => {
    upgrades.length = 0;
    await portForwardRoundTrips(kubectl ?? 'kubectl', extra);
    assert.deepEqual(upgrades, [
      name === 'SPDY' ? 'SPDY/3.1' : 'websocket SPDY/3.1+portforward.k8s.io',
    ]);
  });
}

async function portForwardRoundTrips(bin: string, extra: Record<string, string>): Promise<void> {
  const child = spawn(bin, ['port-forward', 'pod/x', ':80'], {
    env: env(extra),
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const local = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no forwarding line: ${out}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const roundTrip = (payload: Buffer) =>
      new Promise<Buffer>((resolve, reject) => {
        const s = net.connect(local, '127.0.0.1', () => s.end(payload));
        const parts: Buffer[] = [];
        s.on('data', (d: Buffer) => parts.push(d));
        s.on('end', () => resolve(Buffer.concat(parts)));
        s.on('error', reject);
      });
    const payloads = [Buffer.alloc(3 * 1024 * 1024, 7), Buffer.from('one'), Buffer.from('two')];
    const got = await Promise.all(payloads.map(roundTrip));
    got.forEach((g, i) =>
      assert.ok(g.equals(payloads[i] ?? Buffer.alloc(0)), `connection ${i}: ${out}`),
    );
  } finally {
    child.kill();
  }
}

for (const minor of [27, 29, 30]) {
  const bin = olderKubectl(minor);
  const skipOld = bin ? false : `kubectl.1.${minor} not found`;
  test(`kubectl 1.${minor} exec (its default transport)`, { skip: skipOld }, async () => {
    const r = await run(['exec', 'x', '--', 'sh', '-c', 'exit 3'], {}, undefined, bin);
    assert.equal(r.stdout, 'hello from exec\n', r.stderr);
    assert.equal(r.code, 3, r.stderr);
    const i = await run(['exec', '-i', 'x', '--', 'cat'], {}, 'old stdin\n', bin);
    assert.equal(i.stdout, 'old stdin\n', i.stderr);
  });
  test(`kubectl 1.${minor} port-forward`, { skip: skipOld }, async () => {
    await portForwardRoundTrips(bin ?? 'kubectl', {});
  });
}

test(
  'kubectl port-forward to a refused port prints the upstream error text',
  { skip },
  async () => {
    const child = spawn(kubectl ?? 'kubectl', ['port-forward', 'pod/x', ':81'], { env: env() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 300 && !/Forwarding from 127\.0\.0\.1:(\d+)/.test(out); i++)
        await new Promise((r) => setTimeout(r, 20));
      const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const sock = net.connect(local, '127.0.0.1');
      sock.on('error', () => undefined);
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.notEqual(code, 0);
      assert.match(
        out,
        /error forwarding port 81 to pod x, uid u1: failed to connect to localhost:81/,
      );
      sock.destroy();
    } finally {
      child.kill();
    }
  },
);

for (const [name, extra] of [
  ['WebSocket', {}],
  ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
] as const) {
  test(
    `kubectl exec -it over ${name} (pty from script(1)): resize and keystrokes`,
    { skip },
    async () => {
      lastSession = undefined;
      const child = spawn(
        'script',
        ['-qec', `stty cols 101 rows 33; ${kubectl ?? 'kubectl'} exec -it x -- sh`, '/dev/null'],
        {
          env: env({ ...extra, TERM: 'xterm' }),
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        for (let i = 0; i < 500 && !lastSession?.resizes.length; i++)
          await new Promise((r) => setTimeout(r, 20));
        assert.ok(lastSession, out);
        assert.equal(lastTty, true);
        assert.ok(
          (lastSession.resizes[0]?.[0] ?? 0) > 0,
          `resize ${JSON.stringify(lastSession.resizes)}`,
        );
        child.stdin.write('typed\r');
        for (let i = 0; i < 250 && !out.includes('typed'); i++)
          await new Promise((r) => setTimeout(r, 20));
        assert.match(out, /typed/);
        lastSession.exit(0);
        const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
        assert.equal(code, 0, out);
      } finally {
        child.kill();
      }
    },
  );
}

/**
 * End-to-end against the real kubectl (1.33, and 1.27/1.29/1.30 when installed; skipped when
 * absent): exec and port-forward over every transport kubectl uses, through a stub API server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { FakeSession } from './testing/fake-session.ts';
import { KubectlHarness, findKubectl } from './testing/kubectl-harness.ts';

const kubectl = findKubectl() ?? 'kubectl';
const skip = findKubectl() ? false : 'kubectl not found';
const skipTty = skip || (existsSync('/usr/bin/script') ? false : 'script(1) not found');
const h = new KubectlHarness();

before(async () => {
  if (!skip) await h.start();
});

after(async () => {
  if (!skip) await h.close();
});

function run(args: string[], extra: Record<string, string> = {}, input?: string, bin = kubectl) {
  return h.run(bin, args, extra, input);
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return h.env(extra);
}

for (const [name, extra] of [
  ['WebSocket', {}],
  ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
] as const) {
  test(`kubectl exec over ${name}: output and exit code`, { skip }, async () => {
    h.upgrades.length = 0;
    const r = await run(['exec', 'x', '--', 'sh', '-c', 'exit 3'], extra);
    assert.equal(r.stdout, 'hello from exec\n', r.stderr);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(h.upgrades, [name === 'SPDY' ? 'SPDY/3.1' : 'websocket v5.channel.k8s.io']);
  });

  test(`kubectl attach over ${name}: Success whatever the exit code`, { skip }, async () => {
    const r = await run(['attach', 'x'], extra);
    assert.match(r.stdout, /hello from exec/, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /falling back/);
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
    h.upgrades.length = 0;
    await portForwardRoundTrips(kubectl, extra);
    assert.deepEqual(h.upgrades, [
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
  const bin = findKubectl(minor);
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
    const child = spawn(kubectl, ['port-forward', 'pod/x', ':81'], { env: env() });
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
  test(`kubectl exec -it over ${name} (pty from script(1))`, { skip: skipTty }, async () => {
    h.lastSession = undefined;
    const current = (): FakeSession | undefined => h.lastSession;
    const cmd = `stty cols 101 rows 33; ${kubectl} exec -it x -- sh`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: env({ ...extra, TERM: 'xterm' }),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 500 && !current()?.resizes.length; i++)
        await new Promise((r) => setTimeout(r, 20));
      const session = current();
      assert.ok(session, out);
      assert.equal(h.lastTty, true);
      assert.deepEqual(session.resizes[0], [101, 33]);
      child.stdin.write('typed\r');
      for (let i = 0; i < 250 && !out.includes('typed'); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(out, /typed/);
      session.exit(0);
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 0, out);
    } finally {
      child.kill();
    }
  });
}

/**
 * `kubectl port-forward` into real pods (issue 6): an HTTP request to the nginx stand-in and a
 * 100 MB file intact (sha256), several ports and parallel connections in one session, a refused
 * port, `svc/x` (named targetPort) and `deploy/x`, over the WebSocket tunnel (1.33's default),
 * plain SPDY (`KUBECTL_PORT_FORWARD_WEBSOCKETS=false`) and kubectl 1.28.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { importDemoImages } from '../support/images/demo-images.ts';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { runcContainersLeft } from '../support/runc-left.ts';

const kubectl = kubectlPath();
const kubectl128 = kubectlPath('1.28');
const skip = !kubectl ? 'kubectl is not installed' : (nodeAgentUnavailable() ?? false);

const bigBytes = 100 * 1024 * 1024;
const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: files
spec:
  containers:
  - name: srv
    image: busybox:1.36
    command: ['sh', '-c', 'head -c ${bigBytes} /dev/urandom > /data/big && echo second > /data/second.txt && httpd -p 8001 -h /data && exec httpd -f -p 8000 -h /data']
    volumeMounts: [{ name: data, mountPath: /data }]
    readinessProbe: { exec: { command: ['test', '-f', '/data/second.txt'] }, periodSeconds: 1 }
  volumes: [{ name: data, emptyDir: {} }]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{ containerPort: 80, name: http }]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports: [{ port: 8080, targetPort: http }]
`;

interface Forward {
  ports: number[];
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** GETs a URL; resolves with the status, byte count, sha256 and (small) text of the body. */
function get(url: string): Promise<{ status: number; bytes: number; sha: string; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        const head: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
          if (bytes < 65536) head.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            bytes,
            sha: hash.digest('hex'),
            text: Buffer.concat(head).toString(),
          }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('kubectl port-forward into real pods', { skip }, () => {
  let d: TestDaemon;
  let k: Kubectl;
  let k128: Kubectl | undefined;
  let runcRoot = '';
  let bigSha = '';
  const children = new Set<ChildProcess>();

  /** Starts `kubectl port-forward target :p1 :p2 …`; resolves once every local port is known. */
  const forward = async (
    c: Kubectl,
    target: string,
    remotePorts: number[],
    env: Record<string, string> = {},
  ): Promise<Forward> => {
    const child = spawn(
      c.binary,
      ['--kubeconfig', c.kubeconfig, 'port-forward', target, ...remotePorts.map((p) => `:${p}`)],
      { env: { PATH: process.env['PATH'] ?? '', HOME: c.home, ...env }, stdio: 'pipe' },
    );
    children.add(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const ports: number[] = [];
    const end = Date.now() + 30_000;
    while (ports.length < remotePorts.length) {
      if (child.exitCode !== null || Date.now() > end)
        throw new Error(`port-forward did not start:\n${out}`);
      ports.length = 0;
      for (const m of out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> \d+/g))
        ports.push(Number(m[1]));
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      ports,
      child,
      output: () => out,
      stop: async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
        children.delete(child);
      },
    };
  };

  before(async () => {
    d = await startTestDaemon(undefined, { nodeAgent: true });
    await importDemoImages(d.daemon.agent!.images);
    runcRoot = d.daemon.agent!.runtime.paths.runcRoot;
    k = new Kubectl(d.daemon.url, kubectl!);
    if (kubectl128) k128 = new Kubectl(d.daemon.url, kubectl128);
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await k.ok(['wait', '--for=condition=Ready', 'pod/files', '--timeout=90s']);
    await k.ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    bigSha = (await k.ok(['exec', 'files', '--', 'sha256sum', '/data/big'])).split(' ')[0]!;
    assert.match(bigSha, /^[0-9a-f]{64}$/);
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await d?.stop();
    for (const c of [k, k128]) if (c) rmSync(c.home, { recursive: true, force: true });
    const left = runcContainersLeft(runcRoot);
    assert.equal(left, '', 'no containers left');
  });

  const variants = [
    { name: 'kubectl 1.33 (WebSocket tunnel)', client: () => k, env: {} },
    {
      name: 'kubectl 1.33 (SPDY)',
      client: () => k,
      env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' },
    },
    { name: 'kubectl 1.28', client: () => k128, env: {} },
  ];

  for (const v of variants) {
    test(
      `${v.name}: HTTP, 100 MB intact, two ports and parallel connections`,
      { skip: v.name.includes('1.28') && !kubectl128 ? 'kubectl 1.28 is not installed' : false },
      async () => {
        const f = await forward(v.client()!, 'pod/files', [8000, 8001], v.env);
        try {
          const [a, b] = f.ports as [number, number];
          const big = await get(`http://127.0.0.1:${a}/big`);
          assert.equal(big.status, 200);
          assert.equal(big.bytes, bigBytes);
          const restarts = '{.status.containerStatuses[0].restartCount}';
          assert.equal(await k.ok(['get', 'pod', 'files', '-o', `jsonpath=${restarts}`]), '0');
          assert.equal(big.sha, bigSha);
          const many = await Promise.all(
            Array.from({ length: 12 }, (_, i) =>
              get(`http://127.0.0.1:${i % 2 ? a : b}/second.txt`),
            ),
          );
          for (const r of many) assert.equal(r.text, 'second\n');
          assert.match(f.output(), new RegExp(`Handling connection for ${b}`));
        } finally {
          await f.stop();
        }
      },
    );
  }

  test('an HTTP request to the nginx stand-in; svc/x through a named targetPort; deploy/x', async () => {
    const pod = (await k.ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim();
    for (const target of [pod, 'svc/web', 'deploy/web']) {
      const port = target === 'svc/web' ? 8080 : 80;
      const f = await forward(k, target, [port]);
      try {
        // kubectl maps the service port to the pod's port itself.
        assert.match(f.output(), /-> 80\b/);
        const page = await get(`http://127.0.0.1:${f.ports[0]}/`);
        assert.equal(page.status, 200);
        assert.match(page.text, /Welcome to nginx/);
      } finally {
        await f.stop();
      }
    }
    const log = await k.ok([
      'exec',
      pod.replace('pod/', ''),
      '--',
      'cat',
      '/var/log/nginx/access.log',
    ]);
    assert.match(log, /url:\//);
  });

  test('a refused port inside the pod ends kubectl with the error, as on a cluster', async () => {
    const f = await forward(k, 'pod/files', [9999]);
    await get(`http://127.0.0.1:${f.ports[0]}/`).catch(() => undefined);
    await new Promise<void>((r) => {
      const t = setTimeout(r, 10_000);
      f.child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
    assert.match(f.output(), /connection refused/);
    await f.stop();
  });
});

/**
 * Streaming (issue 6) through a `podbay up` child with the node agent and the real kubectl:
 * `kubectl logs` of a 100 MB log (MB/s; also the server alone over plain HTTP, and kubectl fed by
 * a trivial server: its own ceiling), exec round trip
 * (`kubectl exec -- true`, ms; `kubectl get pod` beside it for kubectl's own cost), and
 * port-forward throughput (MB/s, 100 MB file) and first-byte latency (ms, a new connection per
 * request) over the WebSocket tunnel and plain SPDY. Medians; ratios to the targets
 * (>= 200 MB/s logs and port-forward, exec <= 100 ms).
 *
 *   npm run bench -- streaming          (needs root, runc, conmon, kubectl)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { nodeAgentUnavailable } from '../src/daemon/node-agent.ts';
import { buildBusyboxRootfs } from '../test/support/images/busybox-rootfs.ts';
import { Kubectl, kubectlPath } from '../test/support/kubectl.ts';
import { importBusybox, median, startDaemon } from './support.ts';

const bridge = 'pbbench1';
const MB = 1024 * 1024;
const logLines = 1024 * 1024; // 100-byte lines: 100 MiB of output
const runs = Number(process.env['STREAM_RUNS'] ?? 3);
const execRuns = Number(process.env['EXEC_RUNS'] ?? 20);

/** 100 MiB of output as CRI records: 1 Mi lines of 99 characters. */
const criLog = (() => {
  const record = Buffer.from(`2026-01-01T00:00:00.123456789Z stdout F ${'x'.repeat(99)}\n`);
  const out = Buffer.allocUnsafe(record.length * logLines);
  for (let i = 0; i < logLines; i++) record.copy(out, i * record.length);
  return out;
})();

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: bench
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: logger
    image: busybox:1.36
    command: ['sleep', '100000']
  - name: files
    image: busybox:1.36
    command: ['sh', '-c', 'head -c ${100 * MB} /dev/urandom > /data/big && echo hi > /data/small && exec httpd -f -p 8000 -h /data']
    volumeMounts: [{ name: data, mountPath: /data }]
    readinessProbe: { exec: { command: ['test', '-f', '/data/small'] }, periodSeconds: 1 }
  volumes: [{ name: data, emptyDir: {} }]
`;

/**
 * Runs a command with its stdout in a file (as `kubectl logs > file`; a pipe read by this process
 * would measure the reader); resolves with the bytes written and the milliseconds taken.
 */
function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  outFile: string,
): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve) => {
    const fd = openSync(outFile, 'w');
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', fd, 'ignore'] });
    child.on('close', () => {
      const ms = performance.now() - t0;
      closeSync(fd);
      resolve({ bytes: statSync(outFile).size, ms });
    });
  });
}

/**
 * kubectl's own ceiling for `kubectl logs`: a server that answers `pods/log` with the expected
 * output from memory (in 1 MiB writes) and passes every other request to podbay.
 */
function trivialLogServer(upstream: string, body: Buffer): Promise<http.Server> {
  const up = new URL(upstream);
  const server = http.createServer((req, res) => {
    if (req.url?.includes('/log')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let at = 0;
      const pump = (): void => {
        while (at < body.length) {
          const ok = res.write(body.subarray(at, (at += MB)));
          if (!ok) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    const opts = { host: up.hostname, port: up.port, path: req.url, method: req.method };
    const p = http.request({ ...opts, headers: req.headers }, (pr) => {
      res.writeHead(pr.statusCode ?? 502, pr.headers);
      pr.pipe(res);
    });
    p.on('error', () => res.destroy());
    req.pipe(p);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

/** GETs a URL on a fresh connection; resolves with bytes, first-byte and total milliseconds. */
function get(url: string): Promise<{ bytes: number; firstMs: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let firstMs = NaN;
    let bytes = 0;
    http
      .get(url, { agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          if (!bytes) firstMs = performance.now() - t0;
          bytes += c.length;
        });
        res.on('end', () => resolve({ bytes, firstMs, ms: performance.now() - t0 }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function portForward(
  k: Kubectl,
  env: Record<string, string>,
): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    k.binary,
    ['--kubeconfig', k.kubeconfig, 'port-forward', 'pod/bench', ':8000'],
    {
      env: { PATH: process.env['PATH'] ?? '', HOME: k.home, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  for (;;) {
    const m = /127\.0\.0\.1:(\d+) -> 8000/.exec(out);
    if (m) return { port: Number(m[1]), child };
    if (child.exitCode !== null) throw new Error(`port-forward exited: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One `exec -- true` over a raw v5 WebSocket (no kubectl): milliseconds to the close. */
function rawExec(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const q = 'command=true&container=files&stdout=true&stderr=true';
    const ws = new WebSocket(
      `${url.replace(/^http/, 'ws')}/api/v1/namespaces/default/pods/bench/exec?${q}`,
      ['v5.channel.k8s.io'],
      { headers: { authorization: 'Bearer podbay' } },
    );
    let status = '';
    ws.on('message', (data: Buffer) => {
      if (data[0] === 3) status = data.subarray(1).toString();
    });
    ws.on('close', () =>
      status.includes('Success') ? resolve(performance.now() - t0) : reject(new Error(status)),
    );
    ws.on('error', reject);
  });
}

const ratio = (value: number, target: number, higherIsBetter: boolean): string =>
  (higherIsBetter ? value / target : target / value).toFixed(2);

/** Runs the streaming benchmark and prints its figures. */
export async function benchStreaming(): Promise<void> {
  const why = nodeAgentUnavailable();
  const binary = kubectlPath('1.33') ?? kubectlPath();
  if (why || !binary) {
    console.log(`streaming: skipped (${why ?? 'kubectl is not installed'})`);
    return;
  }
  const tar = await buildBusyboxRootfs();
  const d = await startDaemon(
    ['--bridge', bridge, '--pod-cidr', '10.251.0.0/16'],
    importBusybox(tar),
  );
  const k = new Kubectl(d.url, binary);
  const children: ChildProcess[] = [];
  const env = { PATH: process.env['PATH'] ?? '', HOME: k.home };
  const kargs = (...a: string[]) => ['--kubeconfig', k.kubeconfig, ...a];
  const out = join(k.home, 'stdout');
  try {
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await k.ok(['wait', '--for=condition=Ready', 'pod/bench', '--timeout=120s']);
    const logUrl = `${d.url}/api/v1/namespaces/default/pods/bench/log?container=logger`;
    const uid = await k.ok(['get', 'pod', 'bench', '-o', 'jsonpath={.metadata.uid}']);
    const logPath = join(d.dataDir, 'logs', `default_bench_${uid}`, 'logger', '0.log');

    const logs: number[] = [];
    const server: number[] = [];
    // The kubelet rotates a log past 10 MiB every 10 s, so a 100 MiB log cannot be grown by the
    // (idle) container itself: the CRI file is written just before each read instead, and a read
    // that a rotation cut short is done again.
    const readLog = async (read: () => Promise<{ bytes: number; ms: number }>) => {
      for (let attempt = 0; ; attempt++) {
        writeFileSync(logPath, criLog);
        const r = await read();
        if (r.bytes === 100 * MB) return r.bytes / MB / (r.ms / 1000);
        if (attempt === 3) throw new Error(`the log read gave ${r.bytes} bytes`);
      }
    };
    const trivial = await trivialLogServer(
      d.url,
      Buffer.from(`${'x'.repeat(99)}\n`.repeat(logLines)),
    );
    const trivialUrl = `http://127.0.0.1:${(trivial.address() as { port: number }).port}`;
    const ceiling: number[] = [];
    for (let i = 0; i < runs; i++) {
      logs.push(
        await readLog(() => timed(binary, kargs('logs', 'bench', '-c', 'logger'), env, out)),
      );
      server.push(await readLog(() => get(logUrl)));
      const r = await timed(
        binary,
        kargs('--server', trivialUrl, 'logs', 'bench', '-c', 'logger'),
        env,
        out,
      );
      ceiling.push(r.bytes / MB / (r.ms / 1000));
    }
    trivial.close();
    const execMs: number[] = [];
    const getMs: number[] = [];
    const rawMs: number[] = [];
    for (let i = 0; i < execRuns; i++) {
      execMs.push(
        (await timed(binary, kargs('exec', 'bench', '-c', 'files', '--', 'true'), env, out)).ms,
      );
      getMs.push((await timed(binary, kargs('get', 'pod', 'bench'), env, out)).ms);
      rawMs.push(await rawExec(d.url));
    }
    const pf: { name: string; mbps: number; firstMs: number }[] = [];
    for (const [name, pfEnv] of [
      ['WebSocket tunnel', {}],
      ['SPDY', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
    ] as const) {
      const { port, child } = await portForward(k, pfEnv);
      children.push(child);
      const rates: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await get(`http://127.0.0.1:${port}/big`);
        if (r.bytes !== 100 * MB) throw new Error(`port-forward moved ${r.bytes} bytes`);
        rates.push(r.bytes / MB / (r.ms / 1000));
      }
      const first: number[] = [];
      for (let i = 0; i < 20; i++)
        first.push((await get(`http://127.0.0.1:${port}/small`)).firstMs);
      child.kill('SIGTERM');
      pf.push({ name, mbps: median(rates), firstMs: median(first) });
    }

    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(
      `streaming (real pod, ${binary.split('/').pop()}; medians of ${runs} / ${execRuns} runs; ${cpus().length} CPUs, load ${load})`,
    );
    console.log(
      `  kubectl logs > file, 100 MiB, 100 B lines ${median(logs).toFixed(0)} MB/s  (target >= 200; ratio ${ratio(median(logs), 200, true)})`,
    );
    console.log(`    the same log over plain HTTP (server)    ${median(server).toFixed(0)} MB/s`);
    console.log(
      `    kubectl logs from a trivial server       ${median(ceiling).toFixed(0)} MB/s  (kubectl writes each line to stdout: its ceiling)`,
    );
    console.log(
      `  kubectl exec -- true round trip           ${median(execMs).toFixed(0)} ms  (target <= 100; ratio ${ratio(median(execMs), 100, false)})`,
    );
    console.log(
      `    kubectl get pod, for comparison         ${median(getMs).toFixed(0)} ms  (exec minus get: ${(median(execMs) - median(getMs)).toFixed(0)} ms)`,
    );
    console.log(
      `    the same exec over a raw WebSocket      ${median(rawMs).toFixed(0)} ms  (server + runc exec)`,
    );
    for (const p of pf) {
      console.log(
        `  port-forward (${p.name}) throughput`.padEnd(46) +
          `${p.mbps.toFixed(0)} MB/s  (target >= 200; ratio ${ratio(p.mbps, 200, true)})`,
      );
      console.log(
        `  port-forward (${p.name}) first byte`.padEnd(46) + `${p.firstMs.toFixed(1)} ms`,
      );
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    // A graceful delete returns once the kubelet removed the containers.
    await k.run(['delete', 'pod', 'bench', '--wait=true', '--timeout=60s']);
    await d.stop();
    rmSync(k.home, { recursive: true, force: true });
    execFileSync('sh', [
      '-c',
      `ip link del ${bridge} 2>/dev/null; nft delete table ip ${bridge} 2>/dev/null; true`,
    ]);
  }
}

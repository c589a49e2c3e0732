/**
 * API server benchmark (issue 2): single-object GET/s and create/s over HTTP with keep-alive
 * from this process against a daemon in another, watch delivery latency with 100 watchers,
 * `podbay up` → ready time, and idle RSS. Prints medians over several runs.
 *
 *   npm run bench -- api
 */
import http from 'node:http';
import { median, percentile, rssMB, startDaemon } from './support.ts';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(
  url: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        method,
        path,
        agent,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function closedLoop(
  concurrency: number,
  durationMs: number,
  op: (i: number) => Promise<void>,
): Promise<number> {
  let count = 0;
  const end = performance.now() + durationMs;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op(count++);
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

function configMap(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data: { k: 'v'.repeat(64) },
  });
}

async function watchLatency(url: string, watchers: number, objects: number): Promise<number[]> {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const u = new URL(url);
  const reqs: http.ClientRequest[] = [];
  const watchAgent = new http.Agent({ keepAlive: false, maxSockets: watchers + 10 });
  await Promise.all(
    Array.from(
      { length: watchers },
      () =>
        new Promise<void>((ready) => {
          const req = http.get(
            {
              hostname: u.hostname,
              port: u.port,
              path:
                '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=' + '1'.repeat(0),
              agent: watchAgent,
            },
            (res) => {
              let buf = '';
              ready();
              res.on('data', (c: Buffer) => {
                const now = performance.now();
                buf += c.toString();
                let nl;
                while ((nl = buf.indexOf('\n')) >= 0) {
                  const line = buf.slice(0, nl);
                  buf = buf.slice(nl + 1);
                  const ev = JSON.parse(line) as {
                    type: string;
                    object: { metadata: { name: string } };
                  };
                  const t = sent.get(ev.object.metadata.name);
                  if (ev.type === 'ADDED' && t !== undefined) latencies.push(now - t);
                }
              });
            },
          );
          reqs.push(req);
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < objects; i++) {
    const name = `w-${Date.now()}-${i}`;
    sent.set(name, performance.now());
    await request(url, 'POST', '/api/v1/namespaces/default/configmaps', configMap(name));
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const r of reqs) r.destroy();
  return latencies;
}

/** Runs the API benchmark and prints its figures. */
export async function benchApi(): Promise<void> {
  const gets: number[] = [];
  const creates: number[] = [];
  const ready: number[] = [];
  const rss: number[] = [];
  const p99: number[] = [];
  const p50: number[] = [];
  for (let run = 0; run < runs; run++) {
    const d = await startDaemon();
    ready.push(d.readyMs);
    await new Promise((r) => setTimeout(r, 1500));
    rss.push(rssMB(d.pid));
    await request(d.url, 'POST', '/api/v1/namespaces/default/configmaps', configMap('bench-get'));
    gets.push(
      await closedLoop(32, 3000, async () => {
        const r = await request(d.url, 'GET', '/api/v1/namespaces/default/configmaps/bench-get');
        if (r.status !== 200) throw new Error(`GET ${r.status}`);
      }),
    );
    creates.push(
      await closedLoop(16, 3000, async (i) => {
        const r = await request(
          d.url,
          'POST',
          '/api/v1/namespaces/default/configmaps',
          configMap(`c-${run}-${i}`),
        );
        if (r.status !== 201) throw new Error(`POST ${r.status} ${r.text}`);
      }),
    );
    const lat = await watchLatency(d.url, 100, 50);
    p50.push(percentile(lat, 50));
    p99.push(percentile(lat, 99));
    await d.stop();
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  console.log(`api: runs=${runs} (medians)`);
  console.log(
    `  GET/s (32 conns)            ${f(median(gets), 0)}   target >= 5000  ratio ${f(median(gets) / 5000, 2)}`,
  );
  console.log(
    `  create/s (16 conns)         ${f(median(creates), 0)}   target >= 1000  ratio ${f(median(creates) / 1000, 2)}`,
  );
  console.log(
    `  watch latency p50/p99 ms    ${f(median(p50), 2)} / ${f(median(p99), 2)}   (100 watchers) target p99 <= 20`,
  );
  console.log(`  podbay up -> ready ms       ${f(median(ready), 0)}   target <= 300`);
  console.log(`  idle RSS MB                 ${f(median(rss), 1)}   target <= 80`);
}

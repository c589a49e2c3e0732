/**
 * Real pods (issue 4): a `podbay up` child with the node agent (runc + conmon, its own bridge
 * and CIDR), busybox imported offline; then, as medians over POD_RUNS pods created one after
 * another: create → Running for a 2-container pod, and create → app started for an
 * init + native sidecar + app pod; then 110 pods × 2 containers at once: time to all Running,
 * the daemon's RSS, conmon's PSS per pod and the host's MemAvailable drop per pod.
 *
 *   npm run bench -- pods          (needs root, runc, conmon)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, resources } from '../src/client/kube-client.ts';
import { httpTransport } from '../src/client/http-transport.ts';
import { nodeAgentUnavailable } from '../src/daemon/node-agent.ts';
import type { Pod } from '../src/k8s/types/pod.ts';
import { buildBusyboxRootfs } from '../test/support/images/busybox-rootfs.ts';
import { importBusybox, median, percentile, rssMB, startDaemon } from './support.ts';

const runs = Number(process.env['POD_RUNS'] ?? 20);
const dense = Number(process.env['POD_DENSE'] ?? 110);
const bridge = 'pbbench0';
const sleeper = { image: 'busybox:1.36', command: ['sleep', '100000'] };

const memAvailableKB = (): number =>
  Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN);

/** Sum of PSS (KB) of the conmon processes of this data dir. */
function conmonPssKB(dataDir: string): { count: number; pssKB: number } {
  let count = 0;
  let pssKB = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.startsWith('conmon') && !cmd.includes('/conmon\0')) continue;
      if (!cmd.includes(dataDir)) continue;
      const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      count++;
      pssKB += Number(m?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return { count, pssKB };
}

/**
 * Watches a pod from `resourceVersion` (taken before it was created, so no event is missed) until
 * `ok` holds, as `kubectl wait` does; polling instead would load the daemon being measured.
 */
async function waitFor(
  client: KubeClient,
  name: string,
  resourceVersion: string,
  ok: (p: Pod) => boolean,
): Promise<void> {
  const ac = new AbortController();
  try {
    for await (const e of client.watch<Pod>(
      resources.pods,
      'default',
      { fieldSelector: `metadata.name=${name}`, resourceVersion },
      ac.signal,
    )) {
      if (ok(e.object)) return;
    }
    throw new Error(`watch of ${name} ended`);
  } finally {
    ac.abort();
  }
}

/**
 * Watches every pod from `resourceVersion` until `count` of them are Running (one watch, as
 * `kubectl get pods -w` would; listing 110 pods every few ms loaded the daemon being measured).
 */
async function waitAllRunning(
  client: KubeClient,
  resourceVersion: string,
  count: number,
): Promise<void> {
  const running = new Set<string>();
  const ac = new AbortController();
  try {
    for await (const e of client.watch<Pod>(
      resources.pods,
      'default',
      { resourceVersion },
      ac.signal,
    )) {
      if (e.object.status?.phase === 'Running') running.add(e.object.metadata.name ?? '');
      if (running.size >= count) return;
    }
    throw new Error('pod watch ended');
  } finally {
    ac.abort();
  }
}

/** The pods' list resourceVersion (a starting point for a watch). */
async function podsVersion(client: KubeClient): Promise<string> {
  return (
    (await client.list(resources.pods, 'default', { limit: 1 })).metadata?.resourceVersion ?? '0'
  );
}

const pod = (name: string, spec: Pod['spec']): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { terminationGracePeriodSeconds: 0, ...spec },
});

/**
 * Same-run baseline: bare `runc create` + `runc start` of two busybox containers (no conmon,
 * no namespaces shared, no API), the floor any runc-based pod start sits on.
 */
function bareRuncTwoContainers(tar: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'podbay-bare-'));
  const times: number[] = [];
  try {
    const bundle = join(dir, 'b');
    mkdirSync(join(bundle, 'rootfs'), { recursive: true });
    execFileSync('tar', ['-xf', tar, '-C', join(bundle, 'rootfs')]);
    execFileSync('runc', ['spec'], { cwd: bundle });
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
      process: { terminal: boolean; args: string[] };
    };
    spec.process.terminal = false;
    spec.process.args = ['sleep', '100000'];
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const root = join(dir, 'root');
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      for (const c of ['a', 'b']) {
        const id = `bare-${i}-${c}`;
        execFileSync('runc', ['--root', root, 'create', '--bundle', bundle, id], {
          stdio: 'ignore',
        });
        execFileSync('runc', ['--root', root, 'start', id]);
      }
      times.push(performance.now() - t0);
      for (const c of ['a', 'b'])
        execFileSync('runc', ['--root', root, 'delete', '--force', `bare-${i}-${c}`]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

/** Runs the pod benchmark and prints its figures. */
export async function benchPods(): Promise<void> {
  const why = nodeAgentUnavailable();
  if (why) {
    console.log(`pods: skipped (${why})`);
    return;
  }
  const tar = await buildBusyboxRootfs();
  const d = await startDaemon(
    ['--bridge', bridge, '--pod-cidr', '10.252.0.0/16'],
    importBusybox(tar),
  );
  const client = new KubeClient({ transport: httpTransport({ server: d.url }) });
  try {
    const two: number[] = [];
    const three: number[] = [];
    for (let i = 0; i < runs; i++) {
      let rv = await podsVersion(client);
      let t0 = performance.now();
      await client.create(
        resources.pods,
        'default',
        pod(`two-${i}`, {
          containers: [
            { name: 'a', ...sleeper },
            { name: 'b', ...sleeper },
          ],
        }),
      );
      await waitFor(client, `two-${i}`, rv, (p) => p.status?.phase === 'Running');
      two.push(performance.now() - t0);
      rv = await podsVersion(client);
      t0 = performance.now();
      await client.create(
        resources.pods,
        'default',
        pod(`three-${i}`, {
          initContainers: [
            { name: 'init', image: 'busybox:1.36', command: ['true'] },
            { name: 'sidecar', restartPolicy: 'Always', ...sleeper },
          ],
          containers: [{ name: 'app', ...sleeper }],
        }),
      );
      await waitFor(
        client,
        `three-${i}`,
        rv,
        (p) => !!p.status?.containerStatuses?.find((c) => c.name === 'app')?.state?.running,
      );
      three.push(performance.now() - t0);
    }
    await deleteAll(client, d.dataDir);
    const mem0 = memAvailableKB();
    const rv = await podsVersion(client);
    const t0 = performance.now();
    const allRunning = waitAllRunning(client, rv, dense);
    await Promise.all(
      Array.from({ length: dense }, (_, i) =>
        client.create(
          resources.pods,
          'default',
          pod(`d-${i}`, {
            containers: [
              { name: 'a', ...sleeper },
              { name: 'b', ...sleeper },
            ],
          }),
        ),
      ),
    );
    await allRunning;
    const allMs = performance.now() - t0;
    const bare = bareRuncTwoContainers(tar);
    // Steady state: the median of 15 one-second samples with the pods running and nothing
    // else happening (V8 gives memory back a few seconds after a burst, not at once).
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(rssMB(d.pid));
    }
    const rss = median(samples);
    const conmon = conmonPssKB(d.dataDir);
    const memDropMB = (mem0 - memAvailableKB()) / 1024;
    console.log(`pods (runc + conmon, busybox, ${runs} pods one after another; medians)`);
    console.log(
      `  2-container pod, create -> Running     p50 ${median(two).toFixed(0)} ms  p99 ${percentile(two, 99).toFixed(0)} ms  (target p50 <= 150, p99 <= 300; ratio ${(median(two) / 150).toFixed(2)})`,
    );
    console.log(
      `  baseline: bare runc create+start x2    p50 ${median(bare).toFixed(0)} ms  (podbay / baseline ${(median(two) / median(bare)).toFixed(2)})`,
    );
    console.log(
      `  init + sidecar + app, -> app started   p50 ${median(three).toFixed(0)} ms  p99 ${percentile(three, 99).toFixed(0)} ms  (target <= 250; ratio ${(median(three) / 250).toFixed(2)})`,
    );
    console.log(
      `  ${dense} pods x 2 containers at once -> all Running  ${(allMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `  daemon RSS with ${dense} pods                  ${rss.toFixed(1)} MB  (target <= 150; ratio ${(rss / 150).toFixed(2)}; max of the samples ${Math.max(...samples).toFixed(1)} MB)`,
    );
    console.log(
      `  conmon PSS per pod (${conmon.count} conmons)        ${(conmon.pssKB / dense / 1024).toFixed(2)} MB`,
    );
    console.log(`  host MemAvailable drop per pod          ${(memDropMB / dense).toFixed(2)} MB`);
    await deleteAll(client, d.dataDir);
  } finally {
    await d.stop();
    execFileSync('sh', [
      '-c',
      `ip link del ${bridge} 2>/dev/null; nft delete table ip ${bridge} 2>/dev/null; true`,
    ]);
  }
}

/** Deletes every pod and waits until they are gone from the API and their conmons from the node. */
async function deleteAll(client: KubeClient, dataDir: string): Promise<void> {
  const items = (await client.list(resources.pods, 'default')).items;
  await Promise.all(
    items.map((p) => client.delete(resources.pods, 'default', p.metadata.name ?? '')),
  );
  while ((await client.list(resources.pods, 'default')).items.length > 0)
    await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 600 && conmonPssKB(dataDir).count > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
}

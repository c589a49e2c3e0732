/**
 * Node agent overhead (issue 3): with the fake runtime and the API in-process, how long 110
 * two-container pods take from create to Running, and how many pod syncs per second the engine
 * does (each sync: observe runtime, decide, publish status). Medians over runs.
 *
 *   npm run bench -- kubelet
 */
import type { Pod } from '../src/k8s/types/pod.ts';
import { resources } from '../src/client/kube-client.ts';
import { startNode } from '../src/kubelet/testing/node-fixture.ts';
import { median } from './support.ts';

const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const podsPerRun = 110;

async function once(): Promise<{ allRunningMs: number; syncsPerSec: number }> {
  const node = await startNode();
  const { client, kubelet } = node;
  const t0 = performance.now();
  for (let i = 0; i < podsPerRun; i++) {
    await client.create<Pod>(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}`, labels: { app: 'bench' } },
      spec: {
        containers: [
          { name: 'a', image: 'busybox:1.36' },
          { name: 'b', image: 'busybox:1.36' },
        ],
      },
    });
  }
  const running = async (): Promise<number> =>
    (await client.list<Pod>(resources.pods, 'default')).items.filter(
      (p) => p.status?.phase === 'Running',
    ).length;
  while ((await running()) < podsPerRun) await new Promise((r) => setTimeout(r, 5));
  const allRunningMs = performance.now() - t0;
  // Resyncs: a label change wakes each pod's worker; count the syncs actually done.
  const rounds = 5;
  const before = kubelet.syncCount;
  const t1 = performance.now();
  for (let r = 0; r < rounds; r++) {
    await Promise.all(
      Array.from({ length: podsPerRun }, (_, i) =>
        client.patch(
          resources.pods,
          'default',
          `p${i}`,
          { metadata: { labels: { round: String(r) } } },
          'merge',
        ),
      ),
    );
  }
  const want = before + rounds * podsPerRun;
  for (let i = 0; i < 2000 && kubelet.syncCount < want; i++)
    await new Promise((r) => setTimeout(r, 1));
  const syncsPerSec = (kubelet.syncCount - before) / ((performance.now() - t1) / 1000);
  await node.stop();
  return { allRunningMs, syncsPerSec };
}

/** Runs the node-agent benchmark and prints its figures. */
export async function benchKubelet(): Promise<void> {
  const res = [];
  for (let i = 0; i < runs; i++) res.push(await once());
  console.log(`kubelet (fake runtime, API in-process): runs=${runs} (medians)`);
  console.log(
    `  ${podsPerRun} pods x 2 containers, create -> all Running   ${median(res.map((r) => r.allRunningMs)).toFixed(0)} ms`,
  );
  console.log(
    `  pod syncs/s (110 pods, each woken by a change)         ${median(res.map((r) => r.syncsPerSec)).toFixed(0)}`,
  );
}

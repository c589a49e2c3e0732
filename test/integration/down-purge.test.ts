/**
 * `podbay down --purge` on a real node: the daemon removes every container, volume mount,
 * network namespace, veth, cgroup and the bridge as it stops; the pods stay in the API, so the
 * next `up` on the same data directory starts them afresh, as a rebooted node does.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeClient, resources } from '../../src/client/kube-client.ts';
import { httpTransport } from '../../src/client/http-transport.ts';
import { runPodbay } from '../../src/cli/testing/run-podbay.ts';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import type { Pod } from '../../src/k8s/types/pod.ts';
import { runtimePaths } from '../../src/runtime/runc/runtime-paths.ts';
import { buildBusyboxRootfs } from '../support/images/busybox-rootfs.ts';
import { spawnUp, urlOf } from '../support/podbay-up.ts';

const bridge = 'pbpurge0';

const up = (dataDir: string): ChildProcess =>
  spawnUp(dataDir, ['--bridge', bridge, '--pod-cidr', '10.249.7.0/24']);

const clientOf = async (dataDir: string, child: ChildProcess): Promise<KubeClient> =>
  new KubeClient({ transport: httpTransport({ server: await urlOf(dataDir, child) }) });

/** The pod once its container runs, as an instance other than `not` (a container ID). */
async function runningPod(client: KubeClient, name: string, not?: string): Promise<Pod> {
  for (let i = 0; i < 300; i++) {
    const pod = await client.get<Pod>(resources.pods, 'default', name);
    const c = pod.status?.containerStatuses?.[0];
    if (c?.state?.running && c.containerID !== not) return pod;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not run`);
}

/** What the node holds for this data directory. */
function leftovers(dataDir: string): string[] {
  const paths = runtimePaths(dataDir);
  const out: string[] = [];
  const cmdlines = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    });
  if (cmdlines.some((c) => c.startsWith('conmon') && c.includes(dataDir))) out.push('conmon');
  if (readFileSync('/proc/self/mountinfo', 'utf8').includes(dataDir)) out.push('mounts');
  if (existsSync(`/sys/fs/cgroup/memory/${paths.cgroupRoot}`)) out.push('cgroup');
  if (existsSync(paths.run)) out.push('runtime run dir');
  if (execFileSync('ip', ['-o', 'link']).toString().includes(bridge)) out.push('bridge');
  return out;
}

test(
  'down --purge removes every container, mount, cgroup and the bridge; the next up restarts the pods',
  { skip: nodeAgentUnavailable(), timeout: 120_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'podbay-purge-'));
    const tar = await buildBusyboxRootfs();
    const imported = await runPodbay([
      'image',
      'import',
      tar,
      'busybox:1.36',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    let child = up(dataDir);
    try {
      let client = await clientOf(dataDir, child);
      await client.create(resources.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'kept' },
        spec: {
          terminationGracePeriodSeconds: 1,
          volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory' } }],
          containers: [
            {
              name: 'c',
              image: 'busybox:1.36',
              command: ['sleep', '3600'],
              volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
            },
          ],
        },
      });
      const first = await runningPod(client, 'kept');
      assert.deepEqual(leftovers(dataDir).sort(), [
        'bridge',
        'cgroup',
        'conmon',
        'mounts',
        'runtime run dir',
      ]);

      const down = await runPodbay(['down', '--purge', '--data-dir', dataDir]);
      assert.equal(down.code, 0, down.stderr);
      assert.match(
        down.stdout,
        /podbay stopped \(pid \d+\); its containers, volumes and pod network are removed/,
      );
      assert.deepEqual(leftovers(dataDir), []);
      assert.equal(existsSync(join(dataDir, 'purge-on-stop')), false, 'the request is consumed');

      // The pod is still an API object; the next daemon runs it again from scratch.
      child = up(dataDir);
      client = await clientOf(dataDir, child);
      const firstId = first.status?.containerStatuses?.[0]?.containerID;
      const again = await runningPod(client, 'kept', firstId);
      assert.match(again.status?.containerStatuses?.[0]?.containerID ?? '', /^runc:\/\//);
      // A plain down keeps the containers (they are re-adopted next time); purge again to clean.
      assert.equal((await runPodbay(['down', '--purge', '--data-dir', dataDir])).code, 0);
      assert.deepEqual(leftovers(dataDir), []);
    } finally {
      if (child.exitCode === null) await runPodbay(['down', '--purge', '--data-dir', dataDir]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);

test('down --purge without a running daemon says what to do and fails', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'podbay-purge-none-'));
  try {
    const r = await runPodbay(['down', '--purge', '--data-dir', dataDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /podbay is not running .*--purge needs the daemon/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

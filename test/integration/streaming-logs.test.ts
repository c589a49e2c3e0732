/**
 * `kubectl logs` against real containers (issue 6): every flag on a multi-container pod with an
 * init container and a sidecar, follow ending with the container, previous instances and their
 * error, the API server's container-choice errors, `logs deploy/x`, `--all-containers`,
 * `--prefix` and `-l`, with kubectl 1.33 and 1.28.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { importDemoImages } from '../support/images/demo-images.ts';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { runcContainersLeft } from '../support/runc-left.ts';

const kubectl = kubectlPath();
const kubectl128 = kubectlPath('1.28');
const skip = !kubectl ? 'kubectl is not installed' : (nodeAgentUnavailable() ?? false);

// `app` writes three lines, waits, writes three more (since/tail/limit checks) and stays up;
// `crash` counts its runs in an emptyDir and fails after each, so it has previous instances.
const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: logs-demo
  labels: { app: logs-demo }
spec:
  initContainers:
  - name: init
    image: busybox:1.36
    command: ['sh', '-c', 'echo init-1; echo init-2']
  - name: side
    image: busybox:1.36
    restartPolicy: Always
    command: ['sh', '-c', 'echo side-start; exec sleep 100000']
  containers:
  - name: app
    image: busybox:1.36
    command: ['sh', '-c', 'echo early-1; echo early-2; echo early-err >&2; sleep 5; echo late-1; echo late-2; echo late-3; exec sleep 100000']
  - name: crash
    image: busybox:1.36
    command: ['sh', '-c', 'n=$(cat /d/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /d/n; echo crash-run-$n; sleep 4; exit 1']
    volumeMounts: [{ name: d, mountPath: /d }]
  volumes: [{ name: d, emptyDir: {} }]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: talker
spec:
  replicas: 1
  selector: { matchLabels: { app: talker } }
  template:
    metadata: { labels: { app: talker } }
    spec:
      containers:
      - name: talk
        image: busybox:1.36
        command: ['sh', '-c', 'echo from-deployment; exec sleep 100000']
`;

const finiteManifest = `apiVersion: v1
kind: Pod
metadata:
  name: finite
spec:
  restartPolicy: Never
  containers:
  - name: once
    image: busybox:1.36
    command: ['sh', '-c', 'sleep 2; echo one; sleep 2; echo two']
`;

// The kubelet prints 9 fraction digits (RFC3339NanoFixed); podbay's CRI reader trims trailing
// zeros (RFC3339Nano), so up to 9 digits are accepted here.
const tsRe = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z /;

describe('kubectl logs against real containers', { skip }, () => {
  let d: TestDaemon;
  let k: Kubectl;
  let k128: Kubectl | undefined;
  let runcRoot = '';

  const waitFor = async (what: string, fn: () => Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const jsonpath = async (pod: string, path: string): Promise<string> =>
    k.ok(['get', 'pod', pod, '-o', `jsonpath=${path}`]);

  before(async () => {
    d = await startTestDaemon(undefined, { nodeAgent: true });
    await importDemoImages(d.daemon.agent!.images);
    runcRoot = d.daemon.agent!.runtime.paths.runcRoot;
    k = new Kubectl(d.daemon.url, kubectl!);
    if (kubectl128) k128 = new Kubectl(d.daemon.url, kubectl128);
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await waitFor('app wrote its late lines', async () =>
      (await k.run(['logs', 'logs-demo', '-c', 'app'])).stdout.includes('late-3'),
    );
  });

  after(async () => {
    await d?.stop();
    for (const c of [k, k128]) if (c) rmSync(c.home, { recursive: true, force: true });
    const left = runcContainersLeft(runcRoot);
    assert.equal(left, '', 'no containers left');
  });

  test('the default container, -c, stderr merged, init containers and sidecars', async () => {
    const r = await k.run(['logs', 'logs-demo']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /Defaulted container "app" out of: app, crash, init \(init\), side \(init\)/,
    );
    assert.equal(r.stdout, 'early-1\nearly-2\nearly-err\nlate-1\nlate-2\nlate-3\n');
    assert.equal(await k.ok(['logs', 'logs-demo', '-c', 'init']), 'init-1\ninit-2\n');
    assert.equal(await k.ok(['logs', 'logs-demo', '-c', 'side']), 'side-start\n');
  });

  test('container choice errors, from kubectl and from the API server', async () => {
    const r = await k.run(['logs', 'logs-demo', '-c', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container nope is not valid for pod logs-demo/);
    const base = '/api/v1/namespaces/default/pods/logs-demo/log';
    const none = await k.run(['get', '--raw', base]);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /Error from server \(BadRequest\): a container name must be specified for pod logs-demo, choose one of: \[app crash\] or one of the init containers: \[init side\]/,
    );
    const wrong = await k.run(['get', '--raw', `${base}?container=nope`]);
    assert.match(wrong.stderr, /\(BadRequest\): container nope is not valid for pod logs-demo/);
  });

  test('--tail, --limit-bytes, --timestamps, --since and --since-time', async () => {
    const app = ['logs', 'logs-demo', '-c', 'app'];
    assert.equal(await k.ok([...app, '--tail=2']), 'late-2\nlate-3\n');
    assert.equal(await k.ok([...app, '--tail=0']), '');
    assert.equal(await k.ok([...app, '--limit-bytes=11']), 'early-1\near');
    const stamped = (await k.ok([...app, '--timestamps'])).trimEnd().split('\n');
    assert.equal(stamped.length, 6);
    for (const l of stamped) assert.match(l, tsRe);
    assert.deepEqual(
      stamped.map((l) => l.replace(tsRe, '')),
      ['early-1', 'early-2', 'early-err', 'late-1', 'late-2', 'late-3'],
    );
    // From late-1's own timestamp on: the 5 s gap keeps the early lines out.
    const lateAt = stamped[3]!.split(' ')[0]!;
    assert.equal(await k.ok([...app, `--since-time=${lateAt}`]), 'late-1\nlate-2\nlate-3\n');
    // A window reaching 2 s before late-1, which is still 3 s after the early lines.
    const sinceS = Math.ceil((Date.now() - Date.parse(lateAt)) / 1000) + 2;
    assert.equal(await k.ok([...app, `--since=${sinceS}s`]), 'late-1\nlate-2\nlate-3\n');
    assert.equal(await k.ok([...app, '--since=1h', '--tail=1']), 'late-3\n');
    if (k128) assert.equal(await k128.ok([...app, '--tail=1', '--limit-bytes=3']), 'lat');
  });

  test('--previous shows the last instance; without one it is the cluster error', async () => {
    const crash = ['logs', 'logs-demo', '-c', 'crash'];
    await waitFor('a restart of crash', async () => {
      const n = Number(
        (await jsonpath('logs-demo', '{.status.containerStatuses[1].restartCount}')) || 0,
      );
      return n >= 1;
    });
    // Read the status, the logs and the status again, so a change in between is noticed. Run
    // n (from 1) is attempt n-1. While attempt r runs, --previous is attempt r-1; in back-off
    // after attempt r died, both --previous and the plain logs show attempt r (lastState).
    const state = async () => {
      const path =
        '{.status.containerStatuses[1].restartCount} {.status.containerStatuses[1].state}';
      const [count, json] = (await jsonpath('logs-demo', path)).split(/ (.*)/s) as [string, string];
      return {
        r: Number(count),
        waiting: 'waiting' in (JSON.parse(json) as object),
        raw: `${count}${json}`,
      };
    };
    const seen = new Set<boolean>();
    await waitFor(
      'previous seen while running and in back-off',
      async () => {
        const before = await state();
        const prev = await k.run([...crash, '--previous']);
        const cur = await k.run(crash);
        const after = await state();
        if (before.raw !== after.raw) return false;
        if (cur.stdout === '') return false; // just started, nothing written yet
        assert.equal(prev.code, 0, prev.stderr);
        const last = before.waiting ? before.r : before.r - 1;
        assert.equal(prev.stdout, `crash-run-${last + 1}\n`);
        assert.equal(cur.stdout, `crash-run-${before.r + 1}\n`);
        seen.add(before.waiting);
        return seen.size === 2;
      },
      90_000,
    );
    const none = await k.run(['logs', 'logs-demo', '-c', 'app', '--previous']);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /Error from server \(BadRequest\): previous terminated container "app" in pod "logs-demo" not found/,
    );
  });

  test('-f streams while the container runs and ends when it ends', async () => {
    await k.ok(['apply', '-f', '-'], { input: finiteManifest });
    await waitFor(
      'finite running',
      async () => (await jsonpath('finite', '{.status.phase}')) === 'Running',
    );
    const started = Date.now();
    const r = await k.run(['logs', '-f', 'finite'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'one\ntwo\n');
    assert.ok(Date.now() - started < 15_000, 'follow ended with the container');
    // Once finished, -f just prints the log and returns.
    assert.equal(await k.ok(['logs', '-f', 'finite']), 'one\ntwo\n');
    // A follow of a running container keeps going until kubectl is stopped.
    const live = await k.run(['logs', '-f', 'logs-demo', '-c', 'side'], { timeoutMs: 2000 });
    assert.notEqual(live.code, 0, 'still following when killed');
    assert.equal(live.stdout, 'side-start\n');
  });

  test('-f carries on across a log rotation (11 MiB, rotated at 10 MiB)', async () => {
    // 11 MiB of 1 KiB lines at once, then a line a second until the rotation check (every 10 s)
    // has surely run; follow must deliver every line, from both files, in order.
    const rotating = `apiVersion: v1
kind: Pod
metadata:
  name: rotating
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox:1.36
    command: ['sh', '-c', 'sleep 1; head -c 11534336 /dev/zero | tr "\\\\0" y | fold -w 1024; echo; for i in $(seq 1 14); do echo after-$i; sleep 1; done']
`;
    await k.ok(['apply', '-f', '-'], { input: rotating });
    await waitFor(
      'rotating started',
      async () => (await jsonpath('rotating', '{.status.phase}')) !== 'Pending',
    );
    const r = await k.run(['logs', '-f', 'rotating'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.pop(), '');
    const ys = lines.filter((l) => l === 'y'.repeat(1024)).length;
    assert.equal(ys, 11264);
    assert.deepEqual(
      lines.slice(ys).filter((l) => l !== ''),
      Array.from({ length: 14 }, (_, i) => `after-${i + 1}`),
    );
    const uid = await jsonpath('rotating', '{.metadata.uid}');
    const dir = join(d.dataDir, 'logs', `default_rotating_${uid}`, 'main');
    assert.ok(
      readdirSync(dir).some((f) => /^0\.log\.\d{8}-\d{6}$/.test(f)),
      `a rotated file in ${readdirSync(dir).join(', ')}`,
    );
  });

  test('logs deploy/x, --all-containers, --prefix and -l', async () => {
    await waitFor('the deployment logged', async () =>
      (await k.run(['logs', 'deploy/talker'])).stdout.includes('from-deployment'),
    );
    assert.equal(await k.ok(['logs', 'deploy/talker']), 'from-deployment\n');
    const all = await k.ok(['logs', 'logs-demo', '--all-containers', '--prefix']);
    // Every container's lines, each prefixed; kubectl does not keep one order of containers.
    const by = new Map<string, string[]>();
    for (const line of all.trimEnd().split('\n')) {
      const m = /^\[pod\/logs-demo\/([a-z]+)\] (.*)$/.exec(line);
      assert.ok(m, line);
      by.set(m[1]!, [...(by.get(m[1]!) ?? []), m[2]!]);
    }
    assert.deepEqual(by.get('init'), ['init-1', 'init-2']);
    assert.deepEqual(by.get('side'), ['side-start']);
    assert.deepEqual(by.get('app'), [
      'early-1',
      'early-2',
      'early-err',
      'late-1',
      'late-2',
      'late-3',
    ]);
    assert.match(by.get('crash')?.join() ?? '', /^crash-run-\d+$/);
    const sel = await k.ok(['logs', '-l', 'app=logs-demo', '-c', 'app', '--prefix', '--tail=-1']);
    assert.equal(
      sel,
      ['early-1', 'early-2', 'early-err', 'late-1', 'late-2', 'late-3']
        .map((l) => `[pod/logs-demo/app] ${l}\n`)
        .join(''),
    );
    const byDeployLabel = await k.ok(['logs', '-l', 'app=talker', '--prefix']);
    assert.match(byDeployLabel, /^\[pod\/talker-[a-z0-9]+-[a-z0-9]+\/talk\] from-deployment\n$/);
  });
});

/**
 * Lifecycle scenarios (lifecycle-scenarios.md) for real: the daemon's node agent with runc +
 * conmon, the §0.2 shell harness in busybox, driven by the real kubectl. The harness log is
 * written to a hostPath directory per pod (instead of the spec's emptyDir) so the test can read
 * it after the pod is gone; STATUS is sampled with `kubectl get pod` every 0.5 s. A subset of the
 * scenarios runs here (the fast tier, src/kubelet/scenarios, runs them all on a fake clock).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { importDemoImages } from '../support/images/demo-images.ts';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { runcContainersLeft } from '../support/runc-left.ts';

const kubectl = kubectlPath();
const skip = !kubectl ? 'kubectl is not installed' : nodeAgentUnavailable();

const H = [
  'log(){ echo "`cut -d\' \' -f1 /proc/uptime` ${N} $1" >> /shared/log; }',
  'log Starting',
  'if [ "$T" = ignore ]; then trap \'\' TERM; else',
  "  trap 'log TermReceived; sleep ${T:-0}; log Exiting; exit ${X:-0}' TERM; fi",
  'if [ "${SD:-0}" -gt 0 ]; then sleep "$SD" & wait $!; fi',
  'touch /tmp/started; log Started',
  'if [ -n "$LOOP" ]; then while :; do log Looping; sleep 1 & wait $!; done; fi',
  'if [ "$D" = forever ]; then while :; do sleep 3600 & wait $!; done; fi',
  'if [ "${D:-0}" -gt 0 ]; then sleep "$D" & wait $!; fi',
  'log Exiting; exit ${X:-0}',
].join('\n');

type P = Record<string, string | number>;
const h = (name: string, p: P, extra: object = {}): object => ({
  name,
  image: 'busybox:1.36',
  imagePullPolicy: 'IfNotPresent',
  command: ['sh', '-c', 'eval "$H"'],
  env: [
    { name: 'H', value: H },
    { name: 'N', value: name },
    ...Object.entries(p).map(([k, v]) => ({ name: k, value: String(v) })),
  ],
  volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
  ...extra,
});

interface Line {
  t: number;
  name: string;
  event: string;
}

describe('lifecycle scenarios under runc + conmon, driven by kubectl', { skip }, () => {
  let d: TestDaemon;
  let k: Kubectl;
  let runcRoot = '';
  const dirs: string[] = [];

  before(async () => {
    d = await startTestDaemon(undefined, { nodeAgent: true });
    await importDemoImages(d.daemon.agent!.images);
    runcRoot = d.daemon.agent!.runtime.paths.runcRoot;
    k = new Kubectl(d.daemon.url, kubectl!);
  });

  after(async () => {
    await d?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    const containers = runcContainersLeft(runcRoot);
    assert.equal(containers, '', 'no containers left');
  });

  /** Creates the pod with a hostPath `/shared`; returns the log reader. */
  const create = async (name: string, spec: object): Promise<() => Line[]> => {
    const dir = mkdtempSync(join(tmpdir(), `podbay-${name}-`));
    dirs.push(dir);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { ...spec, volumes: [{ name: 'shared', hostPath: { path: dir } }] },
    };
    await k.ok(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    return () => {
      let text: string;
      try {
        text = readFileSync(join(dir, 'log'), 'utf8');
      } catch {
        return [];
      }
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [t, n, e] = l.split(' ');
          return { t: Number(t), name: n!, event: e! };
        });
    };
  };
  const at = (log: Line[], name: string, event: string, k = 1): number => {
    let n = 0;
    return log.findIndex((l) => l.name === name && l.event === event && ++n === k);
  };
  const T = (log: Line[], name: string, event: string, k = 1): number =>
    log[at(log, name, event, k)]!.t;
  const count = (log: Line[], name: string, event: string): number =>
    log.filter((l) => l.name === name && l.event === event).length;

  /** Samples `kubectl get pod` STATUS until `done` (or timeout); returns the collapsed sequence. */
  const sample = async (
    name: string,
    done: (status: string) => boolean,
    ms: number,
  ): Promise<string[]> => {
    const seen: string[] = [];
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const r = await k.run(['get', 'pod', name, '--no-headers']);
      const status = r.stdout.trim().split(/\s+/)[2] ?? '';
      if (status && seen[seen.length - 1] !== status) seen.push(status);
      if (done(status)) return seen;
      await new Promise((r2) => setTimeout(r2, 500));
    }
    return seen;
  };

  test('L01: init containers serially, then the app; STATUS Init:N/3 … Completed', async () => {
    const log = await create('l01', {
      restartPolicy: 'Never',
      initContainers: [h('i1', { D: 1 }), h('i2', { D: 1 }), h('i3', { D: 1 })],
      containers: [
        h(
          'app',
          { SD: 2, D: 1 },
          {
            startupProbe: {
              exec: { command: ['test', '-f', '/tmp/started'] },
              periodSeconds: 1,
              failureThreshold: 10,
            },
          },
        ),
      ],
    });
    const seen = await sample('l01', (s) => s === 'Completed', 60_000);
    const l = log();
    assert.ok(at(l, 'i1', 'Exiting') < at(l, 'i2', 'Starting'));
    assert.ok(at(l, 'i2', 'Exiting') < at(l, 'i3', 'Starting'));
    assert.ok(at(l, 'i3', 'Exiting') < at(l, 'app', 'Starting'));
    const allowed = [
      'Pending',
      'Init:0/3',
      'Init:1/3',
      'Init:2/3',
      'PodInitializing',
      'Running',
      'Completed',
    ];
    for (const s of seen) assert.ok(allowed.includes(s), `${s} in ${seen.join(' → ')}`);
    assert.equal(seen.at(-1), 'Completed');
    assert.equal(await k.ok(['get', 'pod', 'l01', '-o', 'jsonpath={.status.phase}']), 'Succeeded');
    await k.ok(['delete', 'pod', 'l01', '--wait=true']);
  });

  test('L03a: a failing init container under Always: back-off gaps 0, 10, 20 s; Init:CrashLoopBackOff', async () => {
    const log = await create('l03', {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 1,
      initContainers: [h('i1', { D: 1, X: 1 }), h('i2', { D: 1 })],
      containers: [h('app', { D: 'forever' })],
    });
    const seen = await sample('l03', () => count(log(), 'i1', 'Starting') >= 4, 60_000);
    const l = log();
    const gap = (n: number) => T(l, 'i1', 'Starting', n + 1) - T(l, 'i1', 'Exiting', n);
    assert.ok(gap(1) >= 0 && gap(1) <= 2, `gap1 ${gap(1)}`);
    assert.ok(gap(2) >= 9.5 && gap(2) <= 13, `gap2 ${gap(2)}`);
    assert.ok(gap(3) >= 19.5 && gap(3) <= 23, `gap3 ${gap(3)}`);
    assert.equal(count(l, 'i2', 'Starting'), 0);
    assert.ok(seen.includes('Init:CrashLoopBackOff'), seen.join(' → '));
    for (const s of seen)
      assert.ok(['Pending', 'Init:0/2', 'Init:Error', 'Init:CrashLoopBackOff'].includes(s), s);
    await k.ok(['delete', 'pod', 'l03', '--wait=true']);
  });

  test('L25: sidecars stop in reverse order after the app exits; pod Succeeded', async () => {
    const sidecar = (n: string) => h(n, { D: 'forever', T: 1 }, { restartPolicy: 'Always' });
    const log = await create('l25', {
      restartPolicy: 'Never',
      initContainers: [sidecar('s1'), sidecar('s2')],
      containers: [h('app', { D: 2 })],
    });
    await sample('l25', (s) => s === 'Completed', 60_000);
    const phase = async () => k.ok(['get', 'pod', 'l25', '-o', 'jsonpath={.status.phase}']);
    const end = Date.now() + 20_000;
    while ((await phase()) !== 'Succeeded' && Date.now() < end)
      await new Promise((r) => setTimeout(r, 300));
    const l = log();
    const order = [
      at(l, 'app', 'Exiting'),
      at(l, 's2', 'TermReceived'),
      at(l, 's2', 'Exiting'),
      at(l, 's1', 'TermReceived'),
      at(l, 's1', 'Exiting'),
    ];
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      JSON.stringify(l),
    );
    assert.ok(order[0]! >= 0);
    assert.equal(await phase(), 'Succeeded');
    await k.ok(['delete', 'pod', 'l25', '--wait=true']);
  });

  test('L37e: $(VAR) expansion of command and args', async () => {
    await create('l37-e', {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          env: [
            { name: 'A', value: 'one' },
            { name: 'B', value: '$(A)-two' },
          ],
          command: ['sh', '-c'],
          args: ["echo '$(A)' '$(B)' '$$(A)' '$(NOPE)' \"$A\""],
        },
      ],
    });
    await sample('l37-e', (s) => s === 'Completed', 30_000);
    assert.equal((await k.ok(['logs', 'l37-e'])).trim(), 'one one-two $(A) $(NOPE) one');
    await k.ok(['delete', 'pod', 'l37-e', '--wait=true']);
  });

  const phaseOf = (pod: string) => k.ok(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}']);
  const waitPhase = async (pod: string, phase: string, ms = 30_000) => {
    const end = Date.now() + ms;
    while ((await phaseOf(pod)) !== phase) {
      if (Date.now() > end) throw new Error(`${pod} never ${phase}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  test('L13 + L19: a sidecar never blocks completion; an init failure after a sidecar fails the pod', async () => {
    const l13 = await create('l13', {
      restartPolicy: 'Never',
      initContainers: [h('s1', { D: 'forever' }, { restartPolicy: 'Always' })],
      containers: [h('app', { D: 2 })],
    });
    const l19 = await create('l19', {
      restartPolicy: 'Never',
      initContainers: [
        h('s1', { D: 'forever' }, { restartPolicy: 'Always' }),
        h('i1', { D: 1, X: 1 }),
      ],
      containers: [h('app', { D: 'forever' })],
    });
    await waitPhase('l13', 'Succeeded');
    await waitPhase('l19', 'Failed');
    let l = l13();
    assert.ok(at(l, 's1', 'Started') < at(l, 'app', 'Starting'));
    assert.ok(at(l, 'app', 'Exiting') < at(l, 's1', 'TermReceived'));
    assert.equal(count(l, 's1', 'Starting'), 1);
    l = l19();
    assert.ok(at(l, 'i1', 'Exiting') < at(l, 's1', 'TermReceived'));
    assert.equal(count(l, 'app', 'Starting'), 0);
    const row = (await k.ok(['get', 'pod', 'l19', '--no-headers'])).split(/\s+/);
    assert.deepEqual([row[1], row[2]], ['0/2', 'Init:Error']);
    await k.ok(['delete', 'pod', 'l13', 'l19', '--wait=true']);
  });

  test("L35: force deletion: gone at once, SIGTERM first, the handler's 3 s honoured", async () => {
    const log = await create('l35', {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: [h('app', { D: 'forever', T: 3 })],
    });
    await waitPhase('l35', 'Running');
    await new Promise((r) => setTimeout(r, 500));
    await k.ok(['delete', 'pod', 'l35', '--grace-period=0', '--force']);
    const r = await k.run(['get', 'pod', 'l35']);
    assert.match(r.stderr, /NotFound/);
    const end = Date.now() + 15_000;
    while (count(log(), 'app', 'Exiting') === 0 && Date.now() < end)
      await new Promise((r2) => setTimeout(r2, 300));
    const l = log();
    const linger = T(l, 'app', 'Exiting') - T(l, 'app', 'TermReceived');
    assert.ok(linger >= 2.5 && linger <= 5, `linger ${linger}`);
  });

  test('L39: a missing ConfigMap is CreateContainerConfigError, then the pod runs without a restart', async () => {
    const log = await create('l39', {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 1,
      containers: [
        h(
          'app',
          { D: 'forever' },
          {
            env: [
              { name: 'H', value: H },
              { name: 'N', value: 'app' },
              { name: 'D', value: 'forever' },
              { name: 'K', valueFrom: { configMapKeyRef: { name: 'cm1', key: 'k' } } },
            ],
          },
        ),
      ],
    });
    const seen = await sample('l39', (s) => s === 'CreateContainerConfigError', 20_000);
    assert.equal(seen.at(-1), 'CreateContainerConfigError');
    const events = await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=l39']);
    assert.match(events, /Error: configmap "cm1" not found/);
    assert.equal(log().length, 0);
    await k.ok(['create', 'configmap', 'cm1', '--from-literal=k=v']);
    await waitPhase('l39', 'Running', 20_000);
    assert.equal(count(log(), 'app', 'Starting'), 1);
    assert.equal(
      await k.ok([
        'get',
        'pod',
        'l39',
        '-o',
        'jsonpath={.status.containerStatuses[0].restartCount}',
      ]),
      '0',
    );
    await k.ok(['delete', 'pod', 'l39', '--wait=true']);
    await k.ok(['delete', 'configmap', 'cm1']);
  });

  /** Deletes `pod` (held by a finalizer) and waits for its final phase; then lets it go. */
  const deleteHeld = async (
    pod: string,
    args: string[],
  ): Promise<{ t0: number; final: string }> => {
    const t0 = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    await k.ok(['delete', 'pod', pod, '--wait=false', ...args]);
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      const phase = await phaseOf(pod);
      if (phase === 'Succeeded' || phase === 'Failed') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const final = await k.ok(['get', 'pod', pod, '-o', 'json']);
    await k.ok(['patch', 'pod', pod, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    return { t0, final };
  };

  test('L29a + L31: preStop consumes the grace budget; overrunning containers are SIGKILLed', async () => {
    const l29 = await create('l29', {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 10,
      containers: [
        h(
          'app',
          { D: 'forever', T: 30 },
          {
            lifecycle: {
              preStop: { exec: { command: ['sh', '-c', 'N=PreStop-app D=4 eval "$H"'] } },
            },
          },
        ),
      ],
    });
    const sidecar = (n: string, t: number) =>
      h(n, { D: 'forever', T: t }, { restartPolicy: 'Always' });
    const l31 = await create('l31', {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      initContainers: [sidecar('s1', 20), sidecar('s2', 1), sidecar('s3', 20)],
      containers: [h('app', { D: 'forever', T: 20 })],
    });
    for (const p of ['l29', 'l31']) {
      await k.ok([
        'patch',
        'pod',
        p,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":["lifecycle.test/hold"]}}',
      ]);
      await waitPhase(p, 'Running');
    }
    await new Promise((r) => setTimeout(r, 1000));
    const a = await deleteHeld('l29', []);
    let l = l29();
    assert.ok(at(l, 'PreStop-app', 'Exiting') < at(l, 'app', 'TermReceived'), JSON.stringify(l));
    const gap = T(l, 'app', 'TermReceived') - T(l, 'PreStop-app', 'Exiting');
    assert.ok(gap >= 0 && gap <= 1.5, `TERM ${gap} s after preStop`);
    assert.equal(count(l, 'app', 'Exiting'), 0);
    const pod29 = JSON.parse(a.final);
    assert.equal(pod29.status.phase, 'Failed');
    assert.equal(pod29.status.containerStatuses[0].state.terminated.exitCode, 137);
    const b = await deleteHeld('l31', ['--grace-period=5']);
    l = l31();
    const tr = ['s1', 's2', 's3'].map((n) => T(l, n, 'TermReceived') - b.t0);
    for (const t of tr) assert.ok(t >= 4.5 && t <= 7.5, `sidecar TERM at ${t}`);
    for (const n of ['s1', 's3', 'app']) assert.equal(count(l, n, 'Exiting'), 0, n);
    assert.equal(count(l, 's2', 'Exiting'), 1);
    const pod31 = JSON.parse(b.final);
    assert.equal(pod31.status.phase, 'Failed');
    const codes = Object.fromEntries(
      [...pod31.status.initContainerStatuses, ...pod31.status.containerStatuses].map(
        (c: { name: string; state: { terminated: { exitCode: number } } }) => [
          c.name,
          c.state.terminated.exitCode,
        ],
      ),
    );
    assert.deepEqual(codes, { s1: 137, s2: 0, s3: 137, app: 137 });
  });
});

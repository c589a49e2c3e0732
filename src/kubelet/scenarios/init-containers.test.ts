/** Scenarios L01, L03, L05, L07 (lifecycle-scenarios.md §A) on the in-process node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../client/kube-client.ts';
import {
  condition,
  h,
  hook,
  startSim,
  stateOf,
  statusOf,
  together,
} from '../testing/scenario-sim.ts';

test('L01: init containers run serially, then the app (Never)', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'l01' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [h('i1', { D: 1 }), h('i2', { D: 1 }), h('i3', { D: 1 })],
        containers: [
          h(
            'app',
            { SD: 5, D: 1 },
            {
              startupProbe: {
                exec: { command: ['test', '-f', '/tmp/started'] },
                periodSeconds: 1,
                // Default 3 would kill the app at ~2 s, before its 5 s start-up (as in v1.33).
                failureThreshold: 10,
              },
            },
          ),
        ],
      },
    });
    await sim.until('app starting', () => sim.count('app', 'Starting') > 0);
    await sim.run(1);
    const mid = await sim.get('l01');
    assert.equal(stateOf(mid, 'app'), 'run');
    assert.deepEqual([statusOf(mid, 'app')?.started, statusOf(mid, 'app')?.ready], [false, false]);
    assert.equal(sim.samples.at(-1)?.ready, '0/1');
    await sim.until(
      'Succeeded',
      async () => (await sim.get('l01'))?.status?.phase === 'Succeeded',
      30,
    );
    assert.ok(sim.at('i1', 'Exiting') < sim.at('i2', 'Starting'));
    assert.ok(sim.at('i2', 'Exiting') < sim.at('i3', 'Starting'));
    assert.ok(sim.at('i3', 'Exiting') < sim.at('app', 'Starting'));
    for (const c of ['i1', 'i2', 'i3', 'app']) assert.equal(sim.count(c, 'Starting'), 1, c);
    assert.ok(sim.T('app', 'Exiting')! - sim.T('app', 'Started')! >= 1);
    const pod = await sim.get('l01');
    for (const c of ['i1', 'i2', 'i3']) {
      assert.equal(stateOf(pod, c), 'term(0, Completed)');
      assert.deepEqual([statusOf(pod, c)?.ready, statusOf(pod, c)?.restartCount], [true, 0]);
    }
    assert.equal(stateOf(pod, 'app'), 'term(0, Completed)');
    assert.deepEqual([statusOf(pod, 'app')?.ready, statusOf(pod, 'app')?.started], [false, false]);
    assert.equal(condition(pod, 'Initialized'), 'True/PodCompleted');
    assert.equal(condition(pod, 'Ready'), 'False/PodCompleted');
    assert.equal(condition(pod, 'ContainersReady'), 'False/PodCompleted');
    assert.equal(condition(pod, 'PodReadyToStartContainers'), 'False/');
    assert.equal(condition(pod, 'PodScheduled'), 'True/');
    await sim.run(1);
    const allowed = [
      'Pending',
      'Init:0/3',
      'Init:1/3',
      'Init:2/3',
      'PodInitializing',
      'Running',
      'Completed',
    ];
    for (const s of sim.statuses()) assert.ok(allowed.includes(s), s);
    assert.equal(sim.statuses().at(-1), 'Completed');
    assert.deepEqual([sim.samples.at(-1)?.ready, sim.samples.at(-1)?.restarts], ['0/1', '0']);
    const ev = (await sim.events()).filter((e) => /^(Created|Started):/.test(e));
    assert.deepEqual(ev, [
      'Created: Created container: i1',
      'Started: Started container i1',
      'Created: Created container: i2',
      'Started: Started container i2',
      'Created: Created container: i3',
      'Started: Started container i3',
      'Created: Created container: app',
      'Started: Started container app',
    ]);
  } finally {
    await sim.stop();
  }
});

const gaps = (sim: Awaited<ReturnType<typeof startSim>>, name: string, n: number): number[] =>
  Array.from(
    { length: n },
    (_, k) => sim.T(name, 'Starting', k + 2)! - sim.T(name, 'Exiting', k + 1)!,
  );

for (const variant of ['a', 'b'] as const) {
  test(`L03${variant}: a failing init container under Always is retried with back-off; pod stays Pending`, async () => {
    const sim = await startSim();
    try {
      const second =
        variant === 'a'
          ? h('i2', { D: 1 })
          : h('s1', { D: 'forever' }, { restartPolicy: 'Always' });
      const pod = await sim.create({
        metadata: { name: 'l03' },
        spec: {
          restartPolicy: 'Always',
          initContainers: [h('i1', { D: 1, X: 1 }), second],
          containers: [h('app', { D: 'forever' })],
        },
      });
      const uid = pod.metadata.uid ?? '';
      const backoffMessages = new Set<string>();
      for (let i = 0; i < 600; i++) {
        await sim.run(0.1);
        const p = sim.samples.at(-1)?.pod;
        assert.equal(p?.status?.phase ?? 'Pending', 'Pending');
        const w = statusOf(p, 'i1')?.state?.waiting;
        if (w?.reason === 'CrashLoopBackOff') {
          backoffMessages.add(w.message ?? '');
          assert.equal(
            stateOf(
              {
                status: {
                  containerStatuses: [
                    { ...statusOf(p, 'i1')!, state: statusOf(p, 'i1')!.lastState! },
                  ],
                },
              } as never,
              'i1',
            ),
            'term(1, Error)',
          );
        }
      }
      assert.ok(sim.count('i1', 'Starting') >= 4, String(sim.count('i1', 'Starting')));
      const [g1, g2, g3] = gaps(sim, 'i1', 3);
      assert.ok(g1! >= 0 && g1! <= 2, `gap1 ${g1}`);
      assert.ok(g2! >= 9.5 && g2! <= 13, `gap2 ${g2}`);
      assert.ok(g3! >= 19.5 && g3! <= 23, `gap3 ${g3}`);
      assert.equal(sim.count(second.name, 'Starting'), 0);
      assert.equal(sim.count('app', 'Starting'), 0);
      for (const m of backoffMessages)
        assert.match(
          m,
          new RegExp(
            `^back-off (10s|20s|40s) restarting failed container=i1 pod=l03_default\\(${uid}\\)$`,
          ),
        );
      assert.ok(backoffMessages.size >= 2);
      const last = await sim.get('l03');
      assert.equal(stateOf(last, second.name), 'wait(PodInitializing)');
      assert.equal(stateOf(last, 'app'), 'wait(PodInitializing)');
      const init = last?.status?.conditions?.find((c) => c.type === 'Initialized');
      assert.equal(init?.message, `containers with incomplete status: [i1 ${second.name}]`);
      const allowed = ['Pending', 'Init:0/2', 'Init:Error', 'Init:CrashLoopBackOff'];
      for (const s of sim.statuses()) assert.ok(allowed.includes(s), s);
      assert.ok(sim.statuses().includes('Init:CrashLoopBackOff'));
      assert.equal(sim.samples.at(-1)?.ready, variant === 'a' ? '0/1' : '0/2');
      const rc = statusOf(last, 'i1')?.restartCount ?? 0;
      assert.match(sim.samples.at(-1)?.restarts ?? '', new RegExp(`^${rc} \\(\\d+s ago\\)$`));
      const events = await sim.events();
      assert.ok(
        events.includes(
          `BackOff: Back-off restarting failed container i1 in pod l03_default(${uid})`,
        ),
      );
      const list = await sim.node.client.list(resources.events, 'default');
      const backoff = list.items.find((e) => e['reason'] === 'BackOff') as
        { involvedObject?: { fieldPath?: string } } | undefined;
      assert.equal(backoff?.involvedObject?.fieldPath, 'spec.initContainers{i1}');
    } finally {
      await sim.stop();
    }
  });
}

const matrix = [
  { v: 'a', policy: 'Always', X: 0 },
  { v: 'b', policy: 'OnFailure', X: 0 },
  { v: 'c', policy: 'OnFailure', X: '1,0' },
  { v: 'd', policy: 'Never', X: 1 },
] as const;

for (const { v, policy, X } of matrix) {
  test(`L05${v}: exit code ${String(X)} under restartPolicy ${policy}`, async () => {
    const sim = await startSim();
    try {
      await sim.create({
        metadata: { name: 'l05' },
        spec: { restartPolicy: policy, containers: [h('app', { D: 1, X })] },
      });
      await sim.run(v === 'a' ? 40 : 30);
      const pod = await sim.get('l05');
      const app = statusOf(pod, 'app');
      const final = sim.samples.at(-1)!;
      if (v === 'a') {
        assert.ok(sim.count('app', 'Starting') >= 3);
        const [g1, g2] = gaps(sim, 'app', 2);
        assert.ok(g1! >= 0 && g1! <= 2, `gap1 ${g1}`);
        assert.ok(g2! >= 9.5 && g2! <= 13, `gap2 ${g2}`);
        assert.equal(app?.lastState?.terminated?.reason, 'Completed');
        assert.equal(app?.lastState?.terminated?.exitCode, 0);
        assert.equal(pod?.status?.phase, 'Running');
        assert.ok(sim.statuses().includes('CrashLoopBackOff'));
        const allowed = [
          'Pending',
          'ContainerCreating',
          'Running',
          'Completed',
          'CrashLoopBackOff',
        ];
        for (const s of sim.statuses()) assert.ok(allowed.includes(s), s);
      } else if (v === 'b') {
        assert.equal(sim.count('app', 'Starting'), 1);
        assert.equal(pod?.status?.phase, 'Succeeded');
        assert.deepEqual([final.status, final.ready, final.restarts], ['Completed', '0/1', '0']);
      } else if (v === 'c') {
        assert.equal(sim.count('app', 'Starting'), 2);
        const [g1] = gaps(sim, 'app', 1);
        assert.ok(g1! >= 0 && g1! <= 2, `gap1 ${g1}`);
        assert.equal(pod?.status?.phase, 'Succeeded');
        assert.equal(app?.restartCount, 1);
        assert.equal(stateOf(pod, 'app'), 'term(0, Completed)');
        assert.deepEqual(
          [app?.lastState?.terminated?.exitCode, app?.lastState?.terminated?.reason],
          [1, 'Error'],
        );
        assert.equal(final.status, 'Completed');
        assert.match(final.restarts, /^1 \(\d+s ago\)$/);
      } else {
        assert.equal(sim.count('app', 'Starting'), 1);
        assert.equal(pod?.status?.phase, 'Failed');
        assert.equal(stateOf(pod, 'app'), 'term(1, Error)');
        assert.deepEqual([final.status, final.restarts], ['Error', '0']);
      }
    } finally {
      await sim.stop();
    }
  });
}

test('L07: postStart blocks the next container; init finishes before postStart', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'l07' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [h('i1', { D: 1 })],
        containers: [
          h('c1', { D: 10 }, { lifecycle: { postStart: hook({ N: 'PostStart-c1', D: 2 }) } }),
          h('c2', { D: 1 }),
        ],
      },
    });
    await sim.until(
      'Succeeded',
      async () => (await sim.get('l07'))?.status?.phase === 'Succeeded',
      30,
    );
    assert.ok(sim.at('i1', 'Exiting') < sim.at('PostStart-c1', 'Starting'));
    assert.ok(sim.at('PostStart-c1', 'Exiting') < sim.at('c2', 'Starting'));
    assert.ok(together(sim, 'c1', 'PostStart-c1'));
    assert.ok(sim.T('c2', 'Starting')! - sim.T('PostStart-c1', 'Starting')! >= 1.5);
    assert.ok(sim.node.runtime.calls.indexOf('createContainer c2') > 0);
    const pod = await sim.get('l07');
    for (const c of ['i1', 'c1', 'c2']) assert.equal(stateOf(pod, c), 'term(0, Completed)');
  } finally {
    await sim.stop();
  }
});

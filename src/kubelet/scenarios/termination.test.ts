/** Scenarios L25, L27, L29, L31, L33, L35 (lifecycle-scenarios.md §D) on the in-process node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../client/kube-client.ts';
import { h, hook, startSim, stateOf, type Sim } from '../testing/scenario-sim.ts';

const within = (v: number | undefined, lo: number, hi: number, what: string): void => {
  assert.ok(v !== undefined && v >= lo && v <= hi, `${what}: ${String(v)} not in [${lo}, ${hi}]`);
};
const del = (sim: Sim, name: string, gracePeriodSeconds?: number): Promise<unknown> =>
  sim.node.client.delete(
    resources.pods,
    'default',
    name,
    gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds },
  );
const phaseIs = (sim: Sim, name: string, phase: string) => async () =>
  (await sim.get(name))?.status?.phase === phase;

test('L25: sidecars are stopped in reverse order after the app exits', async () => {
  const sim = await startSim();
  try {
    const sidecar = (n: string) => h(n, { D: 'forever', T: 3 }, { restartPolicy: 'Always' });
    await sim.create({
      metadata: { name: 'l25' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [sidecar('s1'), sidecar('s2'), sidecar('s3')],
        containers: [h('app', { D: 3 })],
      },
    });
    await sim.until('Succeeded', phaseIs(sim, 'l25', 'Succeeded'), 40);
    assert.ok(sim.at('s1', 'Started') < sim.at('s2', 'Starting'));
    assert.ok(sim.at('s2', 'Started') < sim.at('s3', 'Starting'));
    assert.ok(sim.at('s3', 'Started') < sim.at('app', 'Starting'));
    const order = [
      ['app', 'Exiting'],
      ['s3', 'TermReceived'],
      ['s3', 'Exiting'],
      ['s2', 'TermReceived'],
      ['s2', 'Exiting'],
      ['s1', 'TermReceived'],
      ['s1', 'Exiting'],
    ].map(([n, e]) => sim.at(n!, e!));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    for (const s of ['s1', 's2', 's3'])
      within(sim.T(s, 'Exiting')! - sim.T(s, 'TermReceived')!, 2.5, 5, `${s} linger`);
    within(sim.T('s2', 'TermReceived')! - sim.T('s3', 'Exiting')!, 0, 1.5, 's3→s2');
    within(sim.T('s1', 'TermReceived')! - sim.T('s2', 'Exiting')!, 0, 1.5, 's2→s1');
    const pod = await sim.get('l25');
    for (const s of ['s1', 's2', 's3']) assert.equal(stateOf(pod, s), 'term(0, Completed)');
    const killing = (await sim.events()).filter((e) => e.startsWith('Killing:'));
    assert.deepEqual(killing.sort(), [
      'Killing: Stopping container s1',
      'Killing: Stopping container s2',
      'Killing: Stopping container s3',
    ]);
  } finally {
    await sim.stop();
  }
});

test('L27: sidecar preStop hooks that never return: all sidecars stopped together at grace + 2 s', async () => {
  const sim = await startSim();
  try {
    const sidecar = (n: string) =>
      h(
        n,
        { D: 'forever', T: 5 },
        { restartPolicy: 'Always', lifecycle: { preStop: hook({ N: `PreStop-${n}`, LOOP: 1 }) } },
      );
    await sim.create({
      metadata: { name: 'l27' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 10,
        initContainers: [sidecar('s1'), sidecar('s2'), sidecar('s3')],
        containers: [h('app', { D: 3 })],
      },
    });
    await sim.until('Succeeded', phaseIs(sim, 'l27', 'Succeeded'), 40);
    const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
    const names = ['s1', 's2', 's3'];
    const pre = names.map((n) => sim.T(`PreStop-${n}`, 'Starting')!);
    assert.ok(spread(pre) <= 0.5);
    assert.ok(pre.every((t) => t >= sim.T('app', 'Exiting')!));
    const term = names.map((n) => sim.T(n, 'TermReceived')!);
    assert.ok(spread(term) <= 0.5);
    within(term[0]! - pre[0]!, 9.5, 12, 'preStop → TERM');
    for (const n of names) assert.equal(sim.count(n, 'Exiting'), 0);
    const lastLoop = names.map((n) =>
      sim.T(`PreStop-${n}`, 'Looping', sim.count(`PreStop-${n}`, 'Looping'))!,
    );
    assert.ok(spread(lastLoop) <= 0.5);
    for (const [i, t] of lastLoop.entries()) within(t - pre[i]!, 11, 13, 'last Looping');
    const pod = await sim.get('l27');
    for (const n of names) assert.equal(stateOf(pod, n), 'term(137, Error)');
  } finally {
    await sim.stop();
  }
});

for (const v of ['a', 'b'] as const) {
  test(`L29${v}: preStop consumes the grace budget${v === 'b' ? '; a hung preStop gets grace + 2 s' : ''}`, async () => {
    const sim = await startSim();
    try {
      await sim.create({
        metadata: { name: 'l29', finalizers: ['lifecycle.test/hold'] },
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 10,
          containers: [
            h(
              'app',
              { D: 'forever', T: v === 'a' ? 30 : 0 },
              { lifecycle: { preStop: hook({ N: 'PreStop-app', D: v === 'a' ? 4 : 'forever' }) } },
            ),
          ],
        },
      });
      await sim.until('Running', phaseIs(sim, 'l29', 'Running'), 10);
      const t0 = sim.now();
      await del(sim, 'l29');
      await sim.until(
        'terminal',
        async () => {
          const p = (await sim.get('l29'))?.status?.phase;
          return p === 'Failed' || p === 'Succeeded';
        },
        30,
      );
      await sim.run(1);
      const pod = await sim.get('l29');
      within(sim.T('PreStop-app', 'Starting')! - t0, 0, 1, 'preStop start');
      if (v === 'a') {
        assert.ok(sim.at('PreStop-app', 'Exiting') < sim.at('app', 'TermReceived'));
        within(
          sim.T('app', 'TermReceived')! - sim.T('PreStop-app', 'Exiting')!,
          0,
          1.5,
          'TERM after preStop',
        );
        assert.equal(sim.count('app', 'Exiting'), 0);
        assert.equal(stateOf(pod, 'app'), 'term(137, Error)');
        const finished = Date.parse(
          pod?.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt ?? '',
        );
        within((finished - sim.t0) / 1000 - t0, 9.5, 12, 'finishedAt − t0');
        assert.equal(pod?.status?.phase, 'Failed');
      } else {
        assert.equal(sim.count('PreStop-app', 'Exiting'), 0);
        within(sim.T('app', 'TermReceived')! - sim.T('PreStop-app', 'Starting')!, 9.5, 12, 'TERM');
        within(sim.T('app', 'Exiting')! - sim.T('app', 'TermReceived')!, 0, 0.5, 'exit');
        assert.equal(stateOf(pod, 'app'), 'term(0, Completed)');
        assert.equal(pod?.status?.phase, 'Succeeded');
      }
    } finally {
      await sim.stop();
    }
  });
}

test('L31: a regular container overrunning the grace period is SIGKILLed; sidecars get only 2 s', async () => {
  const sim = await startSim();
  try {
    const sidecar = (n: string, T: number) =>
      h(n, { D: 'forever', T }, { restartPolicy: 'Always' });
    await sim.create({
      metadata: { name: 'l31', finalizers: ['lifecycle.test/hold'] },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 5,
        initContainers: [sidecar('s1', 20), sidecar('s2', 1), sidecar('s3', 20)],
        containers: [h('app', { D: 'forever', T: 20 })],
      },
    });
    await sim.until('Running', phaseIs(sim, 'l31', 'Running'), 10);
    const t0 = sim.now();
    await del(sim, 'l31', 5);
    await sim.until('Failed', phaseIs(sim, 'l31', 'Failed'), 30);
    await sim.run(1);
    within(sim.T('app', 'TermReceived')! - t0, 0, 1, 'app TERM');
    const term = ['s1', 's2', 's3'].map((n) => sim.T(n, 'TermReceived')! - t0);
    for (const t of term) within(t, 4.5, 7, 'sidecar TERM');
    assert.ok(Math.max(...term) - Math.min(...term) <= 0.5);
    within(sim.T('s2', 'Exiting')! - sim.T('s2', 'TermReceived')!, 0.5, 2, 's2 linger');
    for (const n of ['s1', 's3', 'app']) assert.equal(sim.count(n, 'Exiting'), 0, n);
    const pod = await sim.get('l31');
    assert.equal(stateOf(pod, 'app'), 'term(137, Error)');
    assert.equal(stateOf(pod, 's1'), 'term(137, Error)');
    assert.equal(stateOf(pod, 's2'), 'term(0, Completed)');
    assert.equal(stateOf(pod, 's3'), 'term(137, Error)');
  } finally {
    await sim.stop();
  }
});

test('L33: deleting a pod during initialization is fast; unstarted sidecars are not waited for', async () => {
  const sim = await startSim();
  try {
    const sidecar = (n: string) =>
      h(
        n,
        { D: 60, T: 5 },
        { restartPolicy: 'Always', lifecycle: { preStop: hook({ N: `PreStop-${n}`, D: 1 }) } },
      );
    await sim.create({
      metadata: { name: 'l33' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [h('start-init', { D: 300 }), sidecar('s1'), sidecar('s2')],
        containers: [h('app', { D: 5 })],
      },
    });
    await sim.until(
      'start-init started',
      async () => {
        const p = await sim.get('l33');
        const s = p?.status?.initContainerStatuses?.[0];
        return !!s?.state?.running && s.started === true && p?.status?.phase === 'Pending';
      },
      10,
    );
    const t0 = sim.now();
    await del(sim, 'l33', 3);
    const gone = await sim.until('NotFound', async () => (await sim.get('l33')) === undefined, 10);
    assert.ok(gone - t0 < 5, `gone after ${gone - t0}`);
    within(sim.T('start-init', 'TermReceived')! - t0, 0, 1, 'TERM');
    assert.deepEqual(
      sim.node.runtime.log.filter((l) => l.name !== 'start-init'),
      [],
    );
  } finally {
    await sim.stop();
  }
});

test('L35: force deletion: the object goes at once; the node still stops the container gracefully', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'l35' },
      spec: {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        containers: [h('app', { D: 'forever', T: 3 })],
      },
    });
    await sim.until('Running', phaseIs(sim, 'l35', 'Running'), 10);
    const t0 = sim.now();
    await del(sim, 'l35', 0);
    await sim.run(1);
    assert.equal(await sim.get('l35'), undefined);
    await sim.run(10);
    within(sim.T('app', 'TermReceived')! - t0, 0, 2, 'TERM');
    // 1.33-exact: the pod's 30 s still applies on the node, so the handler's 3 s are honoured.
    within(sim.T('app', 'Exiting')! - sim.T('app', 'TermReceived')!, 2.5, 5, 'linger');
    assert.equal(sim.node.runtime.byName('app').length, 0, 'container removed');
  } finally {
    await sim.stop();
  }
});

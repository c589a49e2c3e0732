/** Scenarios L15, L17, L19, L21, L23 (lifecycle-scenarios.md §C) on the in-process node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from '../../k8s/types/pod.ts';
import {
  condition,
  h,
  hook,
  startSim,
  stateOf,
  statusOf,
  together,
} from '../testing/scenario-sim.ts';

const bad = 'registry.invalid/nope:1';

for (const v of ['a', 'b', 'c', 'd'] as const) {
  const policy = ({ a: 'Never', b: 'OnFailure', c: 'Always', d: 'Never' } as const)[v];
  test(`L15${v}: an image that cannot be pulled keeps the pod Pending (${policy}${v === 'd' ? ', regular init' : ''})`, async () => {
    const sim = await startSim();
    try {
      const init: Container =
        v === 'd'
          ? h('i1', { D: 1 }, { image: bad })
          : h('s1', { D: 'forever' }, { image: bad, restartPolicy: 'Always' });
      await sim.create({
        metadata: { name: 'l15' },
        spec: { restartPolicy: policy, initContainers: [init], containers: [h('app', { D: 1 })] },
      });
      const waits = new Set<string>();
      for (let i = 0; i < 600; i++) {
        await sim.run(0.1);
        const p = sim.samples.at(-1)?.pod;
        assert.equal(p?.status?.phase ?? 'Pending', 'Pending');
        const w = statusOf(p, init.name)?.state?.waiting;
        if (w?.reason) waits.add(w.reason);
        if (w?.reason === 'ImagePullBackOff')
          assert.ok(w.message?.startsWith(`Back-off pulling image "${bad}"`));
        const app = stateOf(p, 'app');
        assert.ok(app === 'wait(PodInitializing)' || app === 'none', app);
      }
      assert.equal(sim.node.runtime.log.length, 0);
      assert.ok(waits.has('ErrImagePull') && waits.has('ImagePullBackOff'), [...waits].join());
      const allowed = ['Pending', 'Init:0/1', 'Init:ErrImagePull', 'Init:ImagePullBackOff'];
      for (const s of sim.statuses()) assert.ok(allowed.includes(s), s);
      assert.ok(sim.statuses().includes('Init:ImagePullBackOff'));
      assert.equal(sim.samples.at(-1)?.ready, v === 'd' ? '0/1' : '0/2');
      const events = await sim.events();
      for (const e of [
        `Pulling: Pulling image "${bad}"`,
        'Failed: Error: ErrImagePull',
        `BackOff: Back-off pulling image "${bad}"`,
        'Failed: Error: ImagePullBackOff',
      ])
        assert.ok(events.includes(e), e);
      assert.ok(events.some((e) => e.startsWith(`Failed: Failed to pull image "${bad}": `)));
      // Pulls at 0, 10 and 30 s (10 s, then 20 s back-off): never closer than 9.5 s.
      assert.equal(sim.node.runtime.calls.filter((c) => c === `pullImage ${bad}`).length, 3);
    } finally {
      await sim.stop();
    }
  });
}

for (const v of ['a', 'b'] as const) {
  test(`L17${v}: a sidecar exiting 1 over and over is restarted (${v === 'a' ? 'Never' : 'Always'})`, async () => {
    const sim = await startSim();
    try {
      await sim.create({
        metadata: { name: 'l17' },
        spec: {
          restartPolicy: v === 'a' ? 'Never' : 'Always',
          initContainers: [h('s1', { D: 5, X: 1 }, { restartPolicy: 'Always' }), h('i1', { D: 5 })],
          containers: [h('app', { D: 30 })],
        },
      });
      const backoffViews = new Set<string>();
      await sim.until(
        's1 restarted twice',
        () => (statusOf(sim.samples.at(-1)?.pod, 's1')?.restartCount ?? 0) >= 2,
        35,
      );
      for (let i = 0; i < (v === 'a' ? 150 : 100); i++) {
        await sim.run(0.1);
        const s = sim.samples.at(-1)!;
        if (sim.T('app', 'Started') === undefined || stateOf(s.pod, 's1') === 'run') continue;
        if (v === 'a' && s.pod.status?.phase !== 'Running') continue;
        backoffViews.add(`${stateOf(s.pod, 's1')} ${s.pod.status?.phase} ${s.status} ${s.ready}`);
      }
      assert.ok(sim.at('s1', 'Started') < sim.at('i1', 'Starting'));
      assert.ok(sim.at('i1', 'Exiting') < sim.at('app', 'Starting'));
      if (v === 'a') {
        assert.ok(
          backoffViews.has('term(1, Error) Running Init:Error 1/2'),
          [...backoffViews].join('\n'),
        );
        await sim.until(
          'Succeeded',
          async () => (await sim.get('l17'))?.status?.phase === 'Succeeded',
          30,
        );
      } else {
        assert.ok(
          backoffViews.has('wait(CrashLoopBackOff) Running Init:CrashLoopBackOff 1/2'),
          [...backoffViews].join('\n'),
        );
        const s1 = statusOf(await sim.get('l17'), 's1');
        assert.equal(s1?.lastState?.terminated?.reason, 'Error');
        assert.equal((await sim.get('l17'))?.status?.phase, 'Running');
      }
    } finally {
      await sim.stop();
    }
  });
}

test('L19: an init container after a sidecar fails (Never): pod Failed, sidecar stopped', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'l19' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          h('s1', { D: 'forever' }, { restartPolicy: 'Always' }),
          h('i1', { D: 1, X: 1 }),
        ],
        containers: [h('app', { D: 'forever' })],
      },
    });
    await sim.until('Failed', async () => (await sim.get('l19'))?.status?.phase === 'Failed', 30);
    await sim.run(1);
    assert.ok(sim.at('s1', 'Started') < sim.at('i1', 'Starting'));
    assert.ok(together(sim, 's1', 'i1'));
    assert.ok(sim.at('i1', 'Exiting') < sim.at('s1', 'TermReceived'));
    assert.equal(sim.count('app', 'Starting'), 0);
    const pod = await sim.get('l19');
    assert.equal(stateOf(pod, 's1'), 'term(0, Completed)');
    assert.equal(stateOf(pod, 'i1'), 'term(1, Error)');
    const init = pod?.status?.conditions?.find((c) => c.type === 'Initialized');
    assert.equal(
      `${init?.status} ${init?.message}`,
      'False containers with incomplete status: [s1 i1]',
    );
    assert.deepEqual(
      [sim.samples.at(-1)?.status, sim.samples.at(-1)?.ready],
      ['Init:Error', '0/2'],
    );
  } finally {
    await sim.stop();
  }
});

test('L21: sidecars start one after another, gated by their startup probes', async () => {
  const sim = await startSim();
  try {
    // The scenario leaves failureThreshold at its default (3), which fails a 5 s start-up at ~2 s
    // in v1.33 as well; its expectations need the probe to outlast SD, so allow 10 failures.
    const startup = {
      exec: { command: ['test', '-f', '/tmp/started'] },
      periodSeconds: 1,
      failureThreshold: 10,
    };
    await sim.create({
      metadata: { name: 'l21' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          h('s1', { SD: 5, D: 'forever' }, { restartPolicy: 'Always', startupProbe: startup }),
          h('s2', { SD: 5, D: 'forever' }, { restartPolicy: 'Always', startupProbe: startup }),
        ],
        containers: [h('app', { D: 1 })],
      },
    });
    await sim.run(2);
    const early = sim.samples.at(-1)!;
    assert.equal(stateOf(early.pod, 's1'), 'run');
    assert.deepEqual(
      [statusOf(early.pod, 's1')?.started, statusOf(early.pod, 's1')?.ready],
      [false, false],
    );
    assert.deepEqual([early.pod.status?.phase, early.status], ['Pending', 'Init:0/2']);
    await sim.until(
      'Succeeded',
      async () => (await sim.get('l21'))?.status?.phase === 'Succeeded',
      40,
    );
    assert.ok(sim.at('s1', 'Started') < sim.at('s2', 'Starting'));
    assert.ok(sim.at('s2', 'Started') < sim.at('app', 'Starting'));
    assert.ok(sim.T('s2', 'Starting')! - sim.T('s1', 'Starting')! >= 4.5);
    assert.ok(sim.T('app', 'Starting')! - sim.T('s2', 'Starting')! >= 4.5);
    assert.ok(sim.at('s2', 'Exiting') < sim.at('s1', 'Exiting'));
  } finally {
    await sim.stop();
  }
});

test('L23: a sidecar liveness failure restarts only the sidecar; the app keeps running', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'l23' },
      spec: {
        restartPolicy: 'Always',
        initContainers: [
          h(
            's1',
            { D: 'forever', T: 1 },
            {
              restartPolicy: 'Always',
              livenessProbe: {
                exec: { command: ['sh', '-c', 'exit 1'] },
                initialDelaySeconds: 3,
                periodSeconds: 1,
                failureThreshold: 1,
              },
              lifecycle: { preStop: hook({ N: 'PreStop-s1', D: 1 }) },
            },
          ),
        ],
        containers: [h('app', { D: 'forever' })],
      },
    });
    await sim.run(60);
    assert.ok(sim.at('s1', 'Started') < sim.at('app', 'Starting'));
    assert.ok(sim.at('app', 'Starting') < sim.at('PreStop-s1', 'Starting'));
    const pod = (await sim.get('l23')) as Pod;
    assert.ok(statusOf(pod, 's1')!.restartCount >= 2);
    assert.equal(sim.count('app', 'Starting'), 1);
    assert.equal(statusOf(pod, 'app')?.restartCount, 0);
    assert.equal(pod.status?.phase, 'Running');
    assert.ok((await sim.events()).includes('Killing: Init container s1 failed liveness probe'));
    const appStarted = sim.T('app', 'Started')!;
    for (const s of sim.samples.filter((x) => x.t > appStarted + 0.2)) {
      assert.equal(s.status, 'Running', `${s.t}`);
      assert.ok(s.ready === '2/2' || s.ready === '1/2', s.ready);
      assert.equal(Number(s.restarts.split(' ')[0]), statusOf(s.pod, 's1')?.restartCount);
    }
    assert.equal(condition(pod, 'Initialized'), 'True/');
  } finally {
    await sim.stop();
  }
});

for (const policy of ['Never', 'OnFailure'] as const) {
  test(`L13 (${policy}): a Job-style pod completes; its sidecar never blocks it`, async () => {
    const sim = await startSim();
    try {
      await sim.create({
        metadata: { name: 'l13' },
        spec: {
          restartPolicy: policy,
          initContainers: [h('s1', { D: 'forever' }, { restartPolicy: 'Always' })],
          containers: [h('app', { D: 3 })],
        },
      });
      const done = await sim.until(
        'Succeeded',
        async () => (await sim.get('l13'))?.status?.phase === 'Succeeded',
        20,
      );
      await sim.run(1);
      assert.ok(sim.at('s1', 'Started') < sim.at('app', 'Starting'));
      assert.ok(sim.at('app', 'Exiting') < sim.at('s1', 'TermReceived'));
      assert.equal(sim.count('s1', 'Starting'), 1);
      assert.ok(done - sim.T('app', 'Exiting')! <= 5);
      const pod = await sim.get('l13');
      assert.equal(stateOf(pod, 's1'), 'term(0, Completed)');
      assert.equal(stateOf(pod, 'app'), 'term(0, Completed)');
      const seen = sim.samples.map((s) => `${s.status} ${s.ready}`);
      assert.ok(seen.includes('Running 2/2'));
      for (const s of seen)
        assert.ok(
          /^(Pending|Init:0\/1|PodInitializing) \d\/2$|^Running 2\/2$|^Completed [01]\/2$/.test(s),
          s,
        );
      assert.deepEqual(
        [sim.samples.at(-1)?.status, sim.samples.at(-1)?.ready, sim.samples.at(-1)?.restarts],
        ['Completed', '0/2', '0'],
      );
      assert.ok((await sim.events()).includes('Killing: Stopping container s1'));
    } finally {
      await sim.stop();
    }
  });
}

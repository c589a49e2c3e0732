import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../client/kube-client.ts';
import { VolumeError } from './volumes/volume-error.ts';
import { h, startSim } from './testing/scenario-sim.ts';

test('a pod deleted and re-created under the same name gets a fresh worker and back-off', async () => {
  const sim = await startSim();
  try {
    const spec = {
      restartPolicy: 'Always' as const,
      terminationGracePeriodSeconds: 1,
      containers: [h('app', { D: 1, X: 1 })],
    };
    const first = await sim.create({ metadata: { name: 'same' }, spec });
    await sim.until(
      'in back-off',
      async () => {
        const s = (await sim.get('same'))?.status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CrashLoopBackOff';
      },
      30,
    );
    await sim.node.client.delete(resources.pods, 'default', 'same', { gracePeriodSeconds: 0 });
    await sim.run(1);
    const before = sim.count('app', 'Starting');
    const second = await sim.create({ metadata: { name: 'same' }, spec });
    assert.notEqual(first.metadata.uid, second.metadata.uid);
    await sim.run(0.5);
    assert.equal(
      sim.count('app', 'Starting'),
      before + 1,
      'started at once, no inherited back-off',
    );
    const s = (await sim.get('same'))?.status?.containerStatuses?.[0];
    assert.equal(s?.restartCount, 0);
    assert.equal(
      sim.node.runtime
        .byName('app')
        .filter((c) => c.labels['podbay.io/pod-uid'] === first.metadata.uid).length,
      0,
    );
  } finally {
    await sim.stop();
  }
});

test('volumes are set up again on the periodic resync of a running pod; a failure there is only FailedMount', async () => {
  let setUps = 0;
  let fail = false;
  const volumes = {
    setUpPod: () => {
      setUps++;
      return fail ? Promise.reject(new VolumeError('cfg', 'boom')) : Promise.resolve();
    },
    mountsFor: () => Promise.resolve([]),
    tearDownPod: () => Promise.resolve(),
  };
  const sim = await startSim({ kubelet: { volumes } });
  try {
    await sim.create({
      metadata: { name: 'vol' },
      spec: { containers: [h('app', { D: 'forever' })] },
    });
    await sim.until('Running', async () => (await sim.get('vol'))?.status?.phase === 'Running', 5);
    const n = setUps;
    fail = true;
    await sim.run(61);
    assert.ok(setUps > n, `resynced ${setUps} ${n}`);
    const p = await sim.get('vol');
    assert.equal(p?.status?.phase, 'Running');
    assert.equal(sim.count('app', 'Starting'), 1);
    const events = await sim.events();
    assert.ok(
      events.includes('FailedMount: MountVolume.SetUp failed for volume "cfg" : boom'),
      events.join('\n'),
    );
  } finally {
    await sim.stop();
  }
});

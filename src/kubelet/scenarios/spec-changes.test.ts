/** Spec changes and agent restarts (pod-lifecycle.md §4.1, §4.2, issue 3 "Daemon restart"). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../client/kube-client.ts';
import { h, startSim, statusOf } from '../testing/scenario-sim.ts';

test('a changed image restarts only that container; completed init containers stay done', async () => {
  const sim = await startSim();
  try {
    sim.node.runtime.setImagePresent('busybox:1.37', { cmd: ['sh'] });
    await sim.create({
      metadata: { name: 'upd' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [h('i1', { D: 1 }), h('s1', { D: 'forever' }, { restartPolicy: 'Always' })],
        containers: [h('app', { D: 'forever' }), h('web', { D: 'forever' })],
      },
    });
    await sim.until('Running', async () => (await sim.get('upd'))?.status?.phase === 'Running', 10);
    await sim.node.client.patch(
      resources.pods,
      'default',
      'upd',
      {
        spec: {
          containers: [{ name: 'app', image: 'busybox:1.37' }],
          initContainers: [
            { name: 'i1', image: 'busybox:1.37' },
            { name: 's1', image: 'busybox:1.37' },
          ],
        },
      },
      'strategic',
    );
    await sim.run(5);
    assert.equal(sim.count('app', 'Starting'), 2);
    assert.equal(
      sim.count('s1', 'Starting'),
      2,
      'a sidecar image change restarts it, even under Never',
    );
    assert.equal(sim.count('web', 'Starting'), 1);
    assert.equal(sim.count('i1', 'Starting'), 1, 'a completed init container is not re-run');
    const pod = await sim.get('upd');
    assert.equal(statusOf(pod, 'app')?.restartCount, 1);
    assert.equal(statusOf(pod, 'app')?.image, 'busybox:1.37');
    const events = await sim.events();
    assert.ok(events.includes('Killing: Container app definition changed, will be restarted'));
    assert.ok(events.includes('Killing: Init container s1 definition changed'));
  } finally {
    await sim.stop();
  }
});

test('a restarted agent rebuilds its view from the runtime and leaves healthy containers alone', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'keep' },
      spec: {
        initContainers: [h('i1', { D: 1 }), h('s1', { D: 'forever' }, { restartPolicy: 'Always' })],
        containers: [h('app', { D: 'forever' })],
      },
    });
    await sim.until(
      'Running',
      async () => (await sim.get('keep'))?.status?.phase === 'Running',
      10,
    );
    await sim.node.restartKubelet();
    await sim.run(15);
    for (const c of ['i1', 's1', 'app']) assert.equal(sim.count(c, 'Starting'), 1, c);
    const pod = await sim.get('keep');
    assert.equal(pod?.status?.phase, 'Running');
    assert.equal(statusOf(pod, 'app')?.ready, true);
    assert.equal(sim.node.runtime.calls.filter((c) => c.startsWith('runPodSandbox')).length, 1);
  } finally {
    await sim.stop();
  }
});

test('a container in unknown state is killed and started again, even under Never', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'lost' },
      spec: { restartPolicy: 'Never', containers: [h('app', { D: 'forever' })] },
    });
    await sim.until('Running', async () => (await sim.get('lost'))?.status?.phase === 'Running', 5);
    sim.node.runtime.markUnknown(sim.node.runtime.byName('app')[0]!.id);
    await sim.run(3);
    const events = await sim.events();
    assert.ok(
      events.includes('Killing: Container is in "unknown" state, try killing it before restart'),
      events.join('\n'),
    );
    assert.equal(sim.count('app', 'Starting'), 2);
  } finally {
    await sim.stop();
  }
});

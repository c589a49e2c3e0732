/**
 * Regular containers start in spec order, each prepared while the previous one starts: what
 * preparing records is held back, so the Events read exactly as the kubelet's one-by-one
 * Pulled → Created → Started per container, and a container that cannot be created does not
 * stop the ones after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../client/kube-client.ts';
import { h, startSim, stateOf, type Sim } from '../testing/scenario-sim.ts';

/**
 * Events in the order they were first written (a watch's ADDED order; a listing orders repeats
 * by their latest update instead).
 */
function watchEvents(sim: Sim): { texts: string[]; stop(): void } {
  const texts: string[] = [];
  const ac = new AbortController();
  void (async () => {
    try {
      for await (const e of sim.node.client.watch(resources.events, 'default', {}, ac.signal)) {
        const o = e.object as unknown as Record<string, unknown>;
        const text = `${String(o['reason'])}: ${String(o['message'])}`;
        if (e.type === 'ADDED' && /^(Pulled|Created|Started|Failed):/.test(text)) texts.push(text);
      }
    } catch {
      /* aborted */
    }
  })();
  return { texts, stop: () => ac.abort() };
}

test('three containers: Pulled, Created, Started per container, in spec order', async () => {
  const sim = await startSim();
  const seen = watchEvents(sim);
  try {
    await sim.create({
      metadata: { name: 'order' },
      spec: {
        containers: [h('a', { D: 'forever' }), h('b', { D: 'forever' }), h('c', { D: 'forever' })],
      },
    });
    await sim.until('all running', () =>
      ['a', 'b', 'c'].every((n) => sim.count(n, 'Starting') > 0),
    );
    await sim.run(1);
    const pulled = 'Pulled: Container image "busybox:1.36" already present on machine';
    assert.deepEqual(seen.texts, [
      pulled,
      'Created: Created container: a',
      'Started: Started container a',
      pulled,
      'Created: Created container: b',
      'Started: Started container b',
      pulled,
      'Created: Created container: c',
      'Started: Started container c',
    ]);
    assert.ok(sim.at('a', 'Starting') < sim.at('b', 'Starting'));
    assert.ok(sim.at('b', 'Starting') < sim.at('c', 'Starting'));
  } finally {
    seen.stop();
    await sim.stop();
  }
});

test('a container that cannot be created is reported in its turn; the next one still starts', async () => {
  const sim = await startSim();
  const seen = watchEvents(sim);
  try {
    await sim.create({
      metadata: { name: 'order-err' },
      spec: {
        containers: [
          h('a', { D: 'forever' }),
          h(
            'b',
            { D: 'forever' },
            {
              env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }],
            },
          ),
          h('c', { D: 'forever' }),
        ],
      },
    });
    await sim.until('c running', () => sim.count('c', 'Starting') > 0);
    const ev = seen.texts.filter((e) => !e.startsWith('Pulled'));
    assert.deepEqual(ev, [
      'Created: Created container: a',
      'Started: Started container a',
      'Failed: Error: configmap "missing" not found',
      'Created: Created container: c',
      'Started: Started container c',
    ]);
    assert.equal(sim.count('b', 'Starting'), 0);
    const pod = await sim.get('order-err');
    assert.match(stateOf(pod, 'b'), /CreateContainerConfigError/);
  } finally {
    seen.stop();
    await sim.stop();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../k8s/types/pod.ts';
import { unschedulableMessage } from './scheduling.ts';
import { fixtureNode } from './testing/node-fixture.ts';
import { condition, h, startSim, stateOf } from './testing/scenario-sim.ts';

const pod = (spec: Partial<Pod['spec']>, uid = 'u1'): Pod => ({
  metadata: { name: 'p', uid },
  spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
});
const node = fixtureNode({
  labels: { 'kubernetes.io/hostname': 'node1', disk: 'ssd' },
  allocatable: { cpu: '2', memory: '1Gi', pods: '2' },
  taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
}) as never;
const tolerant = { tolerations: [{ key: 'dedicated', operator: 'Equal' as const, value: 'gpu' }] };
const affinity =
  "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";

test('unschedulableMessage(): taints, selector and affinity, then resources, worded as the v1.33 scheduler', () => {
  assert.equal(
    unschedulableMessage(pod({}), node, []),
    '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
  );
  assert.equal(unschedulableMessage(pod({ ...tolerant }), node, []), undefined);
  assert.equal(
    unschedulableMessage(pod({ ...tolerant, nodeSelector: { disk: 'hdd' } }), node, []),
    affinity,
  );
  const term = (operator: string, values?: string[]) => ({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'disk', operator, ...(values ? { values } : {}) }] },
        ],
      },
    },
  });
  assert.equal(
    unschedulableMessage(pod({ ...tolerant, affinity: term('In', ['ssd']) }), node, []),
    undefined,
  );
  assert.equal(
    unschedulableMessage(pod({ ...tolerant, affinity: term('NotIn', ['ssd']) }), node, []),
    affinity,
  );
  assert.equal(
    unschedulableMessage(pod({ ...tolerant, affinity: term('DoesNotExist') }), node, []),
    affinity,
  );
  const big = pod({
    ...tolerant,
    containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '3', memory: '2Gi' } } }],
  });
  assert.equal(
    unschedulableMessage(big, node, []),
    '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
  );
  const others = [pod({}, 'a'), pod({}, 'b')];
  assert.match(
    unschedulableMessage(pod({ ...tolerant }), node, others) ?? '',
    /: 1 Too many pods\. preemption/,
  );
  const done = { ...pod({}, 'c'), status: { phase: 'Succeeded' } } as Pod;
  assert.equal(unschedulableMessage(pod({ ...tolerant }), node, [others[0]!, done]), undefined);
});

test('a pod that can never fit stays Pending, unbound, with FailedScheduling and PodScheduled=False', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'picky' },
      spec: { nodeSelector: { disk: 'ssd' }, containers: [h('app', { D: 'forever' })] },
    });
    await sim.run(2);
    const p = await sim.get('picky');
    assert.equal(p?.spec.nodeName, undefined);
    assert.equal(p?.status?.phase, 'Pending');
    assert.equal(condition(p, 'PodScheduled'), 'False/Unschedulable');
    assert.equal(p?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, affinity);
    assert.ok((await sim.events()).includes(`FailedScheduling: ${affinity}`));
    assert.equal(sim.node.runtime.calls.length, 0);
  } finally {
    await sim.stop();
  }
});

test('activeDeadlineSeconds: the pod is stopped and Failed with DeadlineExceeded', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'late' },
      spec: {
        activeDeadlineSeconds: 5,
        terminationGracePeriodSeconds: 3,
        containers: [h('app', { D: 'forever', T: 1 })],
      },
    });
    await sim.until('Failed', async () => (await sim.get('late'))?.status?.phase === 'Failed', 15);
    const p = await sim.get('late');
    assert.equal(p?.status?.reason, 'DeadlineExceeded');
    assert.equal(
      p?.status?.message,
      'Pod was active on the node longer than the specified deadline',
    );
    const start = Date.parse(p?.status?.startTime ?? '');
    assert.ok(sim.T('app', 'TermReceived')! >= (start - sim.t0) / 1000 + 5);
    assert.equal(stateOf(p, 'app'), 'term(0, Completed)');
    assert.ok(
      (await sim.events()).includes(
        'DeadlineExceeded: Pod was active on the node longer than the specified deadline',
      ),
    );
    await sim.run(15);
    assert.equal(sim.count('app', 'Starting'), 1, 'never restarted');
  } finally {
    await sim.stop();
  }
});

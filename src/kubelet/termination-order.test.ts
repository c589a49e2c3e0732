import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../k8s/types/pod.ts';
import { podGraceSeconds, remainingGrace, terminationOrder } from './termination-order.ts';

const pod: Pod = {
  metadata: { name: 'p' },
  spec: {
    initContainers: [
      { name: 's1', image: 'i', restartPolicy: 'Always' },
      { name: 's2', image: 'i', restartPolicy: 'Always' },
      { name: 's3', image: 'i', restartPolicy: 'Always' },
    ],
    containers: [
      { name: 'app', image: 'i' },
      { name: 'web', image: 'i' },
    ],
  },
};

test('terminationOrder(): regulars first, sidecars in reverse spec order after every regular', () => {
  const plan = terminationOrder(pod, new Set(['s1', 's2', 's3', 'app', 'web']));
  assert.deepEqual(
    plan.map((p) => [p.name, p.waitFor]),
    [
      ['app', []],
      ['web', []],
      ['s1', ['app', 'web', 's2', 's3']],
      ['s2', ['app', 'web', 's3']],
      ['s3', ['app', 'web']],
    ],
  );
});

test('terminationOrder(): containers that are not running are not waited for', () => {
  const plan = terminationOrder(pod, new Set(['s1', 's3']));
  assert.deepEqual(
    plan.map((p) => [p.name, p.waitFor]),
    [
      ['s1', ['s3']],
      ['s3', []],
    ],
  );
});

test('podGraceSeconds() and remainingGrace(): deletion grace wins, never below 1, 2 s minimum window', () => {
  assert.equal(
    podGraceSeconds({ ...pod, metadata: { name: 'p', deletionGracePeriodSeconds: 5 } }),
    5,
  );
  assert.equal(podGraceSeconds(pod), 30);
  assert.equal(
    podGraceSeconds({ ...pod, spec: { ...pod.spec, terminationGracePeriodSeconds: 0 } }),
    1,
  );
  assert.equal(remainingGrace(10, 4.9, 0), 6);
  assert.equal(remainingGrace(10, 10, 3), 2);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from '../../k8s/types/pod.ts';
import { memoryVolumeSize, podMemoryLimit } from './memory-size.ts';

const pod = (containers: Container[], initContainers: Container[] = []): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers, initContainers },
});
const mem = (name: string, memory?: string, restartPolicy?: 'Always'): Container => ({
  name,
  ...(memory ? { resources: { limits: { memory } } } : {}),
  ...(restartPolicy ? { restartPolicy } : {}),
});

test('podMemoryLimit: sum of app containers and sidecars, at least the largest init container; none if any is unlimited', () => {
  assert.equal(podMemoryLimit(pod([mem('a', '64Mi'), mem('b', '32Mi')])), 96 * 2 ** 20);
  assert.equal(podMemoryLimit(pod([mem('a', '64Mi')], [mem('i', '1Gi')])), 2 ** 30);
  assert.equal(podMemoryLimit(pod([mem('a', '64Mi')], [mem('s', '16Mi', 'Always')])), 80 * 2 ** 20);
  assert.equal(podMemoryLimit(pod([mem('a', '64Mi'), mem('b')])), undefined);
});

test('memoryVolumeSize: node memory, lowered by the pod limit, lowered by sizeLimit', () => {
  const unlimited = pod([mem('a')]);
  assert.equal(memoryVolumeSize(unlimited, '1Gi'), 2 ** 30);
  assert.equal(memoryVolumeSize(unlimited, '1Gi', '2Mi'), 2 * 2 ** 20);
  assert.equal(memoryVolumeSize(unlimited, '1Gi', '4Gi'), 2 ** 30);
  const limited = pod([mem('a', '8Mi')]);
  assert.equal(memoryVolumeSize(limited, '1Gi'), 8 * 2 ** 20);
  assert.equal(memoryVolumeSize(limited, '1Gi', '16Mi'), 8 * 2 ** 20);
  assert.equal(memoryVolumeSize(limited, '1Gi', '1M'), 1_000_000);
});

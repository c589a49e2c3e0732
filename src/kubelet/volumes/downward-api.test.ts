import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../k8s/types/pod.ts';
import {
  downwardPayload,
  formatMap,
  goQuote,
  podFieldValue,
  resourceFieldValue,
} from './downward-api.ts';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'dev',
    uid: 'u-1',
    labels: { tier: 'front', app: 'web' },
    annotations: { note: 'say "hi"\nbye' },
  },
  spec: {
    nodeName: 'node1',
    serviceAccountName: 'robot',
    containers: [
      {
        name: 'app',
        resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } },
      },
      { name: 'bare' },
    ],
  },
  status: { podIP: '10.88.0.5', hostIP: '192.168.1.2' },
};
const node = { cpu: '4', memory: '8Gi' };

test('goQuote and formatMap match the kubelet format (sorted, %q values, no trailing newline)', () => {
  assert.equal(goQuote('a"b\\c\n\t\x01é'), '"a\\"b\\\\c\\n\\t\\x01é"');
  assert.equal(formatMap(pod.metadata.labels), 'app="web"\ntier="front"');
  assert.equal(formatMap(undefined), '');
});

test('fieldRef paths', () => {
  const v = (p: string): string => podFieldValue(pod, p);
  assert.equal(v('metadata.name'), 'web');
  assert.equal(v('metadata.namespace'), 'dev');
  assert.equal(v('metadata.uid'), 'u-1');
  assert.equal(v('metadata.annotations'), 'note="say \\"hi\\"\\nbye"');
  assert.equal(v("metadata.labels['tier']"), 'front');
  assert.equal(v('spec.nodeName'), 'node1');
  assert.equal(v('spec.serviceAccountName'), 'robot');
  assert.equal(v('status.podIP'), '10.88.0.5');
  assert.equal(v('status.hostIP'), '192.168.1.2');
  assert.throws(() => v('spec.hostname'), { message: 'unsupported fieldPath: spec.hostname' });
});

test('resourceFieldRef: divisor, rounding up, node capacity for unset limits, 0 for unset requests', () => {
  const r = (containerName: string, resource: string, divisor?: string): string =>
    resourceFieldValue(pod, { containerName, resource, ...(divisor ? { divisor } : {}) }, node);
  assert.equal(r('app', 'limits.cpu'), '1');
  assert.equal(r('app', 'limits.cpu', '1m'), '500');
  assert.equal(r('app', 'requests.cpu', '1m'), '250');
  assert.equal(r('app', 'limits.memory'), String(64 * 2 ** 20));
  assert.equal(r('app', 'limits.memory', '1Mi'), '64');
  assert.equal(r('app', 'limits.memory', '1M'), '68');
  assert.equal(r('app', 'requests.memory', '1Mi'), '64');
  assert.equal(r('bare', 'limits.cpu'), '4');
  assert.equal(r('bare', 'limits.memory', '1Gi'), '8');
  assert.equal(r('bare', 'requests.memory'), '0');
  assert.throws(() => r('ghost', 'limits.cpu'), { message: 'container ghost not found' });
});

test('downwardPayload applies item and default modes', () => {
  const p = downwardPayload(
    pod,
    [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      {
        path: 'cpu',
        resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' },
        mode: 0o400,
      },
    ],
    0o644,
    node,
  );
  assert.equal(p.get('labels')!.data.toString(), 'app="web"\ntier="front"');
  assert.equal(p.get('labels')!.mode, 0o644);
  assert.equal(p.get('cpu')!.data.toString(), '500');
  assert.equal(p.get('cpu')!.mode, 0o400);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interleave, mergeApplied } from './apply-merge.ts';
import { schemaForKind } from './patch-meta.ts';

const id = (v: unknown): string => String(v);
const take = (_l: unknown, r: unknown): unknown => r;

const orders: { name: string; live: string[]; applied: string[]; want: string[] }[] = [
  { name: 'new items are appended', live: ['a'], applied: ['a', 'b'], want: ['a', 'b'] },
  {
    name: 'live-only items keep their place',
    live: ['a', 'x', 'b'],
    applied: ['a', 'b'],
    want: ['a', 'x', 'b'],
  },
  {
    name: 'shared items follow the applied order',
    live: ['a', 'x', 'b'],
    applied: ['b', 'a', 'c'],
    want: ['x', 'b', 'a', 'c'],
  },
  {
    name: 'new items go where the applied list puts them',
    live: ['a', 'b'],
    applied: ['n', 'a', 'b'],
    want: ['n', 'a', 'b'],
  },
  { name: 'empty live list', live: [], applied: ['a'], want: ['a'] },
  { name: 'empty applied list', live: ['a'], applied: [], want: ['a'] },
];

for (const c of orders) {
  test(`interleave: ${c.name}`, () => {
    assert.deepEqual(interleave(c.live, c.applied, id, take), c.want);
  });
}

test('mergeApplied merges containers by name, ports by containerPort+protocol, and replaces atomic lists', () => {
  const live = {
    spec: {
      containers: [
        {
          name: 'a',
          image: 'x',
          args: ['1', '2'],
          ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
        },
      ],
      tolerations: [{ key: 'k' }],
    },
  };
  const applied = {
    spec: {
      containers: [{ name: 'a', image: 'y', args: ['3'], ports: [{ containerPort: 80 }] }],
      tolerations: [{ key: 'z' }],
    },
  };
  assert.deepEqual(mergeApplied(live, applied, schemaForKind('Pod')!), {
    spec: {
      containers: [
        {
          name: 'a',
          image: 'y',
          args: ['3'],
          ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
        },
      ],
      tolerations: [{ key: 'z' }],
    },
  });
});

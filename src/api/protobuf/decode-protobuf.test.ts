import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeProtobufObject } from './decode-protobuf.ts';

const dir = new URL('../../../test/fixtures/protobuf/', import.meta.url).pathname;

/** Drops what is equivalent to absent (`creationTimestamp: null`, empty `status`/`strategy`). */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null) continue;
      if (
        (k === 'status' || k === 'strategy') &&
        typeof x === 'object' &&
        Object.keys(x).every((kk) => kk === 'loadBalancer')
      )
        continue;
      out[k] = normalise(x);
    }
    return out;
  }
  return v;
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.bin'))) {
  test(`decodeProtobufObject() decodes kubectl's ${file} as kubectl's own JSON for it`, () => {
    const kind = file.split('-')[0]!;
    const got = decodeProtobufObject(readFileSync(dir + file), { group: '', version: 'v1', kind });
    const want = JSON.parse(readFileSync(dir + file.replace('.bin', '.json'), 'utf8'));
    assert.deepEqual(normalise(got), normalise(want));
  });
}

test('decodeProtobufObject() rejects bodies without the k8s envelope or with broken fields', () => {
  assert.throws(
    () =>
      decodeProtobufObject(Buffer.from('{"a":1}'), { group: '', version: 'v1', kind: 'ConfigMap' }),
    /ConfigMap in version "v1" cannot be handled as a ConfigMap: provided object is not a Kubernetes protobuf message/,
  );
  assert.throws(
    () =>
      decodeProtobufObject(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x50]), {
        group: '',
        version: 'v1',
        kind: 'ConfigMap',
      }),
    /cannot be handled as a ConfigMap: length-delimited field runs past the end/,
  );
});

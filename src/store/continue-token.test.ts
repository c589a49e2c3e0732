import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../k8s/errors.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';

test('continue tokens round-trip and are base64 JSON', () => {
  const token = encodeContinue({ rv: 42, start: 'default/web' });
  assert.deepEqual(decodeContinue(token), { rv: 42, start: 'default/web' });
  assert.deepEqual(JSON.parse(Buffer.from(token, 'base64').toString()), {
    v: 'meta.k8s.io/v1',
    rv: 42,
    start: 'default/web',
  });
  assert.deepEqual(decodeContinue(encodeContinue({ rv: -1, start: 'x' })), { rv: -1, start: 'x' });
});

test('malformed tokens are BadRequest', () => {
  const bad = [
    'not base64 json',
    Buffer.from('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').toString('base64'),
    Buffer.from('{"v":"meta.k8s.io/v1","rv":-2,"start":"a"}').toString('base64'),
    Buffer.from('{"v":"meta.k8s.io/v1","rv":"5","start":"a"}').toString('base64'),
    Buffer.from('{"v":"meta.k8s.io/v1","rv":5}').toString('base64'),
    Buffer.from('null').toString('base64'),
  ];
  for (const token of bad) assert.throws(() => decodeContinue(token), BadRequestError, token);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeImageRef } from './image-ref.ts';

test("normalizeImageRef follows Docker's defaults", () => {
  assert.equal(normalizeImageRef('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeImageRef('busybox:1.36'), 'docker.io/library/busybox:1.36');
  assert.equal(normalizeImageRef('me/app'), 'docker.io/me/app:latest');
  assert.equal(normalizeImageRef('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(normalizeImageRef('ghcr.io/a/b:v1'), 'ghcr.io/a/b:v1');
  assert.equal(normalizeImageRef('busybox@sha256:abc'), 'docker.io/library/busybox@sha256:abc');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readBoundingCapabilities, readHostLimits } from './host-limits.ts';

test('bounding capabilities are read bit by bit from CapBnd', () => {
  const caps = readBoundingCapabilities('Name:\tx\nCapBnd:\t000001fffeffffff\n');
  assert.equal(caps.length, 40); // bits 0..40 without bit 24 (SYS_RESOURCE)
  assert.ok(caps.includes('CAP_SYS_ADMIN'));
  assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(readBoundingCapabilities('CapBnd:\t0000000000000003\n'), [
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
  ]);
  assert.deepEqual(readBoundingCapabilities('nothing here'), []);
});

test('host limits come from this process', () => {
  const l = readHostLimits();
  assert.ok(l.nofileHard > 0);
  assert.ok(l.oomScoreAdj >= -1000 && l.oomScoreAdj <= 1000);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashLoopBackoff, ImagePullBackoff, goDuration } from './backoff.ts';

const who = { container: 'app', pod: 'web', namespace: 'default', uid: 'u1' };

test('CrashLoopBackoff: restarts after 0, 10, 20, 40 … 300 s; messages as the kubelet', () => {
  const b = new CrashLoopBackoff();
  const key = CrashLoopBackoff.key('u1', 'app', 'busybox');
  let t = 0;
  const gaps: number[] = [];
  for (let i = 0; i < 8; i++) {
    const finished = t + 1000;
    let now = finished;
    for (;;) {
      const d = b.decide(key, finished, now, who);
      if (d.start) break;
      if (now === finished) {
        assert.equal(
          d.message,
          `back-off ${goDuration(d.delayMs)} restarting failed container=app pod=web_default(u1)`,
        );
        assert.equal(
          d.eventMessage,
          'Back-off restarting failed container app in pod web_default(u1)',
        );
      }
      now += 1000;
    }
    gaps.push((now - finished) / 1000);
    t = now;
  }
  assert.deepEqual(gaps, [0, 10, 20, 40, 80, 160, 300, 300]);
});

test('CrashLoopBackoff: a run longer than 10 minutes resets the delay', () => {
  const b = new CrashLoopBackoff();
  const key = 'u1/app/img';
  assert.equal(b.decide(key, 0, 0, who).start, true);
  assert.equal(b.decide(key, 1000, 1000, who).start, false);
  assert.equal(b.decide(key, 1000, 11_000, who).start, true);
  // Next instance runs 11 minutes: restarted immediately, next delay 10 s again.
  const finished = 11_000 + 660_000;
  assert.equal(b.decide(key, finished, finished, who).start, true);
  const d = b.decide(key, finished + 1000, finished + 1000, who);
  assert.ok(!d.start && d.message.startsWith('back-off 10s'));
});

test('goDuration() prints Go durations', () => {
  assert.deepEqual([10_000, 80_000, 160_000, 300_000].map(goDuration), [
    '10s',
    '1m20s',
    '2m40s',
    '5m0s',
  ]);
});

test('ImagePullBackoff: windows of 10 s, 20 s … from each failure', () => {
  const b = new ImagePullBackoff();
  b.failed('k', 0);
  assert.equal(b.inBackoff('k', 9_999), true);
  assert.equal(b.inBackoff('k', 10_000), false);
  b.failed('k', 10_000);
  assert.equal(b.inBackoff('k', 29_999), true);
  assert.equal(b.inBackoff('k', 30_000), false);
  b.succeeded('k');
  assert.equal(b.inBackoff('k', 30_001), false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';

test('FakeClock.advance() fires timers in time order and moves now()', async () => {
  const clock = new FakeClock(1000);
  const fired: string[] = [];
  clock.setTimer(30, () => fired.push(`b@${clock.now()}`));
  clock.setTimer(10, () => fired.push(`a@${clock.now()}`));
  const cancel = clock.setTimer(20, () => fired.push('cancelled'));
  cancel();
  await clock.advance(25);
  assert.deepEqual(fired, ['a@1010']);
  assert.equal(clock.now(), 1025);
  await clock.advance(5);
  assert.deepEqual(fired, ['a@1010', 'b@1030']);
});

test('FakeClock.sleep() resolves after advance and rejects on abort', async () => {
  const clock = new FakeClock(0);
  let done = false;
  const p = clock.sleep(100).then(() => (done = true));
  await clock.advance(99);
  assert.equal(done, false);
  await clock.advance(1);
  await p;
  assert.equal(done, true);
  const ac = new AbortController();
  const q = clock.sleep(100, ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(q, /stop/);
  assert.equal(clock.pendingTimers, 0);
});

test('FakeClock.advance() runs timers scheduled by async reactions to earlier timers', async () => {
  const clock = new FakeClock(0);
  const seen: number[] = [];
  const loop = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await clock.sleep(10);
      seen.push(clock.now());
    }
  };
  const p = loop();
  await clock.advance(30);
  await p;
  assert.deepEqual(seen, [10, 20, 30]);
});

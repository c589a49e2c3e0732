import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { StreamSession } from '../runtime/container-runtime.ts';
import { spacedResizes } from './pod-streaming.ts';

function recorder(): {
  session: StreamSession;
  sizes: [number, number, number][];
  end: () => void;
} {
  const sizes: [number, number, number][] = [];
  let end: () => void = () => undefined;
  const t0 = Date.now();
  const session: StreamSession = {
    stdout: new PassThrough(),
    resize: (c, r) => sizes.push([c, r, Date.now() - t0]),
    exited: new Promise<number>((r) => (end = () => r(0))),
    kill: () => undefined,
  };
  return { session, sizes, end: () => end() };
}

test('attach resizes are spaced out and the latest size wins', async () => {
  const { session, sizes, end } = recorder();
  const s = spacedResizes(session, 50);
  s.resize(101, 31);
  s.resize(100, 30);
  assert.deepEqual(
    sizes.map(([c, r]) => [c, r]),
    [[101, 31]],
  );
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(
    sizes.map(([c, r]) => [c, r]),
    [
      [101, 31],
      [100, 30],
    ],
  );
  assert.ok(sizes[1]![2] - sizes[0]![2] >= 45, 'written apart');
  // Several in one window collapse into the last.
  s.resize(90, 20);
  s.resize(91, 21);
  s.resize(92, 22);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(
    sizes.slice(2).map(([c, r]) => [c, r]),
    [[92, 22]],
  );
  end();
});

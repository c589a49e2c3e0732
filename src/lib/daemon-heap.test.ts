import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { exposeGc, startIdleCollector, type IdleCollectorProbe } from './daemon-heap.ts';

/** A probe that replays one scripted look per interval: [busy share, heap MiB]. */
function scripted(steps: [number, number][]): IdleCollectorProbe & {
  collected: number[];
  done: Promise<void>;
} {
  const MiB = 2 ** 20;
  let heap = 100 * MiB;
  let i = 0;
  let finish!: () => void;
  // The collector's timer does not hold the process open; the test does while it waits.
  const keepAlive = setInterval(() => undefined, 1000);
  const done = new Promise<void>((r) => (finish = r)).finally(() => clearInterval(keepAlive));
  const collected: number[] = [];
  return {
    collected,
    done,
    heapTotal: () => heap,
    busyShare: () => {
      const step = steps[i++];
      if (!step) {
        finish();
        return 1; // busy: nothing more happens
      }
      heap = step[1] * MiB;
      return step[0];
    },
    collect: () => {
      collected.push(i);
      heap -= 25 * MiB; // what a full collection gives back here
    },
  };
}

test('collects once when idle after the heap grew, never while busy or without growth', async () => {
  const probe = scripted([
    [0.5, 130], // 1: grew while busy: wait
    [0.6, 140], // 2: still busy
    [0.01, 140], // 3: idle and 40 MiB above the start: collect (heap now 115)
    [0.01, 115], // 4: idle, no growth since: nothing
    [0.01, 125], // 5: 10 MiB growth is under the threshold
    [0.02, 133], // 6: 18 MiB above 115: collect
    [0.9, 170], // 7: busy again
  ]);
  const stop = startIdleCollector({ intervalMs: 2, probe });
  await probe.done;
  stop();
  assert.deepEqual(probe.collected, [3, 6]);
});

test('a heap that V8 shrank itself becomes the new baseline', async () => {
  const probe = scripted([
    [0.01, 80], // shrank below the 100 MiB start
    [0.01, 90], // 10 above the new baseline: nothing
    [0.01, 97], // 17 above it: collect
  ]);
  const stop = startIdleCollector({ intervalMs: 2, probe });
  await probe.done;
  stop();
  assert.deepEqual(probe.collected, [3]);
});

test('exposeGc runs a real full collection', () => {
  const gc = exposeGc();
  gc();
  const before = getHeapStatistics().used_heap_size;
  // The garbage lives only inside this function, so it is unreachable once it returns.
  const allocate = (): number => {
    const garbage = Array.from({ length: 300_000 }, (_, n) => ({ n, s: `item ${n}` }));
    assert.equal(garbage.length, 300_000);
    return getHeapStatistics().used_heap_size;
  };
  const grown = allocate();
  assert.ok(grown - before > 10 * 2 ** 20, `allocated ${grown - before} bytes`);
  gc();
  const after = getHeapStatistics().used_heap_size;
  assert.ok(after - before < 2 * 2 ** 20, `left ${after - before} bytes after gc`);
  assert.equal(exposeGc(), gc, 'one function, made once');
});

test('keepYoungGenerationSmall keeps new space at its initial size under allocation', () => {
  const module = new URL('./daemon-heap.ts', import.meta.url).href;
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { keepYoungGenerationSmall } from ${JSON.stringify(module)};
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const before = newSpace();
    if (process.argv[1] === 'small') keepYoungGenerationSmall();
    const keep = [];
    for (let i = 0; i < 100; i++) {
      const g = Array.from({ length: 20000 }, (_, n) => ({ n, s: 'x' + n }));
      if (i % 10 === 0) keep.push(g.slice(0, 50));
    }
    console.log(JSON.stringify({ before, after: newSpace() }));`;
  const run = (mode: string): { before: number; after: number } =>
    JSON.parse(
      execFileSync(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        mode,
      ]).toString(),
    ) as { before: number; after: number };
  const grown = run('default');
  assert.ok(grown.after > grown.before, 'V8 grows new space by default');
  const small = run('small');
  assert.equal(small.after, small.before);
});

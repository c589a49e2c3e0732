import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLogTime, formatLogTimeInto, readCriLog } from './cri-log-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'podbay-logs-'));
const rec = (sec: number, stream: string, tag: string, text: string): string =>
  `2026-11-22T08:00:${String(sec).padStart(2, '0')}.500000000+00:00 ${stream} ${tag} ${text}\n`;

async function read(path: string, opts: Parameters<typeof readCriLog>[1] = {}): Promise<string> {
  let s = '';
  for await (const c of readCriLog(path, opts)) s += c.toString();
  return s;
}

const file = join(dir, '0.log');
writeFileSync(
  file,
  rec(1, 'stdout', 'F', 'one') +
    rec(2, 'stderr', 'F', 'two') +
    rec(3, 'stdout', 'P', 'thr') +
    rec(3, 'stdout', 'F', 'ee') +
    rec(4, 'stdout', 'F', 'four'),
);

test('readCriLog() joins partial records and interleaves streams', async () => {
  assert.equal(await read(file), 'one\ntwo\nthree\nfour\n');
});

test('readCriLog() tails complete lines, filters by time, limits bytes', async () => {
  assert.equal(await read(file, { tailLines: 2 }), 'three\nfour\n');
  assert.equal(await read(file, { tailLines: 0 }), '');
  assert.equal(await read(file, { tailLines: 10 }), 'one\ntwo\nthree\nfour\n');
  assert.equal(
    await read(file, { sinceMs: Date.parse('2026-11-22T08:00:02.600Z') }),
    'three\nfour\n',
  );
  assert.equal(await read(file, { limitBytes: 6 }), 'one\ntw');
});

test('readCriLog() prefixes RFC3339Nano timestamps as the kubelet prints them', async () => {
  const out = await read(file, { timestamps: true, tailLines: 1 });
  assert.equal(out, '2026-11-22T08:00:04.5Z four\n');
  assert.equal(
    formatLogTime('2026-11-22T08:09:38.525403016+00:00'),
    '2026-11-22T08:09:38.525403016Z',
  );
  assert.equal(formatLogTime('2026-11-22T08:09:38.000000000Z'), '2026-11-22T08:09:38Z');
});

test('readCriLog() follows growth and rotation until the container has finished', async () => {
  const f = join(dir, 'follow.log');
  writeFileSync(f, rec(1, 'stdout', 'F', 'a'));
  let finished = false;
  const chunks: string[] = [];
  const done = (async () => {
    for await (const c of readCriLog(f, { follow: true, pollMs: 5, isFinished: () => finished }))
      chunks.push(c.toString());
  })();
  await new Promise((r) => setTimeout(r, 30));
  appendFileSync(f, rec(2, 'stdout', 'F', 'b'));
  await new Promise((r) => setTimeout(r, 30));
  renameSync(f, f + '.1');
  writeFileSync(f, rec(3, 'stdout', 'F', 'c'));
  await new Promise((r) => setTimeout(r, 30));
  finished = true;
  await done;
  assert.equal(chunks.join(''), 'a\nb\nc\n');
});

test('formatLogTimeInto() formats bytes as formatLogTime() does, or declines', () => {
  const fast = [
    '2026-11-22T08:09:38.525403016Z',
    '2026-11-22T08:09:38.525400000Z',
    '2026-11-22T08:09:38.000000000Z',
    '2026-11-22T08:09:38.0Z',
    '2026-11-22T08:09:38.5Z',
    '2026-11-22T08:09:38Z',
  ];
  const declined = [
    '2026-11-22T08:09:38.Z',
    '2026-11-22T08:09:38.12a4Z',
    '2026-11-22 08:09:38.1Z',
    '2026-11-22T08:09:38.525403016+00:00',
    '2026-11-22T08:09:38.525403016+01:30',
    'garbage',
  ];
  for (const ts of [...fast, ...declined]) {
    const src = Buffer.from(`>${ts}<`, 'latin1');
    const dst = Buffer.alloc(64, 0x2e);
    const end = formatLogTimeInto(src, 1, src.length - 1, dst, 3);
    if (declined.includes(ts)) assert.equal(end, -1, ts);
    else assert.equal(dst.toString('latin1', 3, end), formatLogTime(ts), ts);
  }
});

test('readCriLog() timestamps: one per line (partial records continue it), any zone', async () => {
  const f = join(dir, 'ts.log');
  writeFileSync(
    f,
    '2026-11-22T08:00:01.100000000Z stdout P ab\n' +
      '2026-11-22T08:00:01.200000000Z stdout F c\n' +
      '2026-11-22T09:00:02.000000000+01:00 stderr F d\n' +
      'not a record\n' +
      '2026-11-22T08:00:03Z stdout F \n',
  );
  assert.equal(
    await read(f, { timestamps: true }),
    '2026-11-22T08:00:01.1Z abc\n2026-11-22T08:00:02Z d\n2026-11-22T08:00:03Z \n',
  );
});

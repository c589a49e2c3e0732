/** The CLI's front door: help and bad flags get a usage message and an exit code, never a stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from './main.ts';

async function captured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('`podbay up --help` prints the usage and exits 0', async () => {
  const r = await captured(['up', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage:\n {2}podbay up/);
});

test('an unknown flag is named, with the usage, exit code 2', async () => {
  const r = await captured(['up', '--no-such-flag']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^podbay up: Unknown option '--no-such-flag'/);
  assert.match(r.err, /Usage:/);
});

test('an unknown command exits 2', async () => {
  const r = await captured(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown command "frobnicate"/);
});

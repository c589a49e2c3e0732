import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readProcFileSync } from './proc-file.ts';

test('readProcFileSync reads a procfs file whose stat size is 0', () => {
  const stat = readProcFileSync(`/proc/${process.pid}/stat`);
  assert.match(stat, new RegExp(`^${process.pid} \\(`));
  assert.equal(stat.charAt(stat.lastIndexOf(')') + 2), 'R'); // this process is running
});

test('readProcFileSync reads regular files whole and fails on missing ones like openSync', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proc-file-'));
  try {
    writeFileSync(join(dir, 'f'), 'x'.repeat(3000));
    assert.equal(readProcFileSync(join(dir, 'f')), 'x'.repeat(3000));
    assert.equal(readProcFileSync(join(dir, 'f')).length, 3000); // no leftovers between calls
    writeFileSync(join(dir, 'g'), 'ab');
    assert.equal(readProcFileSync(join(dir, 'g')), 'ab');
    assert.throws(() => readProcFileSync(join(dir, 'missing')), { code: 'ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

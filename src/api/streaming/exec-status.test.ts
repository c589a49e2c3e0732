import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResizeDecoder } from './exec-pump.ts';
import { encodeExecStatus, execStatus } from './exec-status.ts';

const cmd = ['sh', '-c', 'exit 3'];

test('status JSON for v4+: Success, NonZeroExitCode, and attach always Success', () => {
  assert.deepEqual(execStatus({ kind: 'exited', exitCode: 0 }, cmd, false), {
    metadata: {},
    status: 'Success',
  });
  assert.deepEqual(execStatus({ kind: 'exited', exitCode: 3 }, cmd, true), {
    metadata: {},
    status: 'Success',
  });
  const failed = JSON.parse(
    encodeExecStatus({ kind: 'exited', exitCode: 3 }, cmd, false, 5).toString(),
  ) as Record<string, unknown>;
  assert.equal(failed['status'], 'Failure');
  assert.equal(failed['reason'], 'NonZeroExitCode');
  const internal = execStatus({ kind: 'failed', message: 'boom' }, cmd, false) as Record<
    string,
    unknown
  >;
  assert.equal(internal['message'], 'boom');
});

test('protocols before v4 carry plain text, and nothing on success', () => {
  assert.equal(encodeExecStatus({ kind: 'exited', exitCode: 0 }, cmd, false, 3).length, 0);
  assert.equal(
    encodeExecStatus({ kind: 'exited', exitCode: 3 }, cmd, false, 2).toString(),
    'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
  );
});

test('resize decoder: back-to-back and split messages, garbage and 0x0 skipped', () => {
  const got: [number, number][] = [];
  const d = new ResizeDecoder((c, r) => got.push([c, r]));
  d.push(Buffer.from('{"Width":1,"Height":2}\n{"Width":3,'));
  d.push(Buffer.from('"Height":4}\n{bad}{"Width":0,"Height":0}{"Width":5,"Height":6}'));
  assert.deepEqual(got, [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
});

/** runCommand through the spawn helper: output, input, exit codes, errors, abort, restart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, runCommand } from './command.ts';
import { stopSpawner } from './spawner.ts';

test('stdout, stdin, cwd and env reach the program', async () => {
  assert.equal(await runCommand('sh', ['-c', 'echo hi; cat'], { input: 'typed' }), 'hi\ntyped');
  assert.equal(await runCommand('pwd', [], { cwd: '/tmp' }), '/tmp\n');
  assert.equal(
    await runCommand('sh', ['-c', 'echo $X'], { env: { ...process.env, X: 'from-env' } }),
    'from-env\n',
  );
});

test('a non-zero exit rejects with the argv, the code and the end of stderr', async () => {
  await assert.rejects(
    runCommand('sh', ['-c', 'echo bad >&2; exit 3']),
    (e: unknown) =>
      e instanceof CommandError &&
      e.exitCode === 3 &&
      e.stderr.trim() === 'bad' &&
      /^sh -c echo bad >&2; exit 3 exited 3: bad$/.test(e.message),
  );
});

test('a missing program rejects, saying so', async () => {
  await assert.rejects(
    runCommand('/nonexistent/prog', []),
    (e: unknown) => e instanceof CommandError && e.exitCode === null && /ENOENT/.test(e.message),
  );
});

test('an abort kills the program at once', async () => {
  const ac = new AbortController();
  const t0 = performance.now();
  const run = runCommand('sleep', ['10'], { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(run, CommandError);
  assert.ok(performance.now() - t0 < 5000);
});

test('commands run concurrently, and again after the helper is gone', async () => {
  const t0 = performance.now();
  const outs = await Promise.all(
    ['a', 'b', 'c'].map((x) => runCommand('sh', ['-c', `sleep 0.3; echo ${x}`])),
  );
  assert.deepEqual(outs, ['a\n', 'b\n', 'c\n']);
  assert.ok(performance.now() - t0 < 2000, 'in parallel');
  stopSpawner();
  assert.equal(await runCommand('echo', ['again']), 'again\n');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgs, expandVars, literalEnv } from './container-command.ts';

const image = { entrypoint: ['/bin/echo', 'EP'], cmd: ['CMD'] };

test('containerArgs(): the command/args × Entrypoint/Cmd matrix (scenario L37)', () => {
  const env = new Map<string, string>();
  assert.deepEqual(containerArgs({ name: 'a' }, image, env), ['/bin/echo', 'EP', 'CMD']);
  assert.deepEqual(containerArgs({ name: 'a', command: ['/bin/echo', 'C'] }, image, env), [
    '/bin/echo',
    'C',
  ]);
  assert.deepEqual(containerArgs({ name: 'a', args: ['A'] }, image, env), ['/bin/echo', 'EP', 'A']);
  assert.deepEqual(
    containerArgs({ name: 'a', command: ['/bin/echo', 'C'], args: ['A'] }, image, env),
    ['/bin/echo', 'C', 'A'],
  );
  assert.deepEqual(containerArgs({ name: 'a' }, {}, env), []);
});

test('expandVars(): $(VAR) from env, $$ escapes, unknown references stay (scenario L37 e)', () => {
  const env = literalEnv({
    name: 'a',
    env: [
      { name: 'A', value: 'one' },
      { name: 'B', value: '$(A)-two' },
    ],
  });
  const arg = `echo '$(A)' '$(B)' '$$(A)' '$(NOPE)' "$A"`;
  assert.equal(expandVars(arg, env), `echo 'one' 'one-two' '$(A)' '$(NOPE)' "$A"`);
});

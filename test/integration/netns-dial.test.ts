// Port-forward's connection path: a TCP connection made inside a pod's network namespace
// reaches a server bound to 127.0.0.1 there; a closed port is ECONNREFUSED; nothing is left.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { dialInNetns } from '../../src/network/linux/netns-dial.ts';

const has = (cmd: string): boolean => {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const skip =
  process.getuid?.() !== 0 ? 'needs root' : !has('socat') ? 'needs socat (install-deps.sh)' : false;

describe('dialInNetns', { skip }, () => {
  const ns = `pbdial${process.pid % 10000}`;
  let server: ChildProcess | undefined;
  before(async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    server = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'socat',
        'TCP-LISTEN:7070,bind=127.0.0.1,fork,reuseaddr',
        'SYSTEM:echo hello-from-localhost',
      ],
      { stdio: 'ignore' },
    );
    await new Promise((r) => setTimeout(r, 300));
  });
  after(() => {
    server?.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', ns]);
    assert.doesNotMatch(
      execFileSync('ip', ['netns', 'list']).toString(),
      new RegExp(`\\b${ns}\\b`),
    );
  });

  test('reaches a server bound to 127.0.0.1 inside the namespace', async () => {
    const conn = await dialInNetns(`/run/netns/${ns}`, 7070);
    let got = '';
    for await (const chunk of conn) got += (chunk as Buffer).toString();
    assert.equal(got, 'hello-from-localhost\n');
  });

  test('a closed port is ECONNREFUSED', async () => {
    await assert.rejects(dialInNetns(`/run/netns/${ns}`, 7071), { code: 'ECONNREFUSED' });
  });
});

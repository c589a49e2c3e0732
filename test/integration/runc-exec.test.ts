/**
 * `runc exec` against a real busybox container: synchronous exec (output, exit codes, env/cwd/user,
 * a timeout that really kills), streaming exec (stdin, separate stderr, tty with resize, kill)
 * and the latency of a trivial probe.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { RuntimeNotFoundError } from '../../src/runtime/container-runtime.ts';
import {
  EXEC_TIMEOUT_EXIT_CODE,
  runcExec,
  runcExecSync,
} from '../../src/runtime/runc/runc-exec.ts';
import { conmonAttach } from '../../src/runtime/runc/runc-attach.ts';
import {
  canRunContainers,
  runCmd,
  runOk,
  startRuncContainer,
  type RuncContainer,
} from '../support/runc-container.ts';

const skip = await canRunContainers();
const attachSkip =
  skip ||
  ((await runCmd('sh', ['-c', 'command -v conmon && command -v socat'])).code !== 0 &&
    'conmon or socat is not installed');

/** True when /proc/<pid> exists and is not a zombie (this machine's PID 1 reaps lazily). */
function alive(pid: string): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Non-zombie processes in the container whose command line contains `needle`. */
async function liveInContainer(c: RuncContainer, needle: string): Promise<string[]> {
  const r = await runcExecSync(c.target, ['ps', '-o', 'pid,stat,args'], 5000);
  return r.stdout
    .toString()
    .split('\n')
    .filter((l) => l.includes(needle) && !/^\s*\d+\s+Z/.test(l) && !l.includes('ps -o'));
}

/** Accumulates a stream's text; `waitFor` resolves once it matches. */
function reader(stream: Readable | NodeJS.ReadableStream): {
  text: () => string;
  waitFor: (re: RegExp, ms?: number) => Promise<string>;
  ended: Promise<void>;
} {
  let text = '';
  const waiters = new Set<() => void>();
  stream.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters) w();
  });
  const ended = new Promise<void>((r) => stream.once('end', () => r()));
  return {
    text: () => text,
    ended,
    waitFor: (re, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(text);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(re)}; got ${JSON.stringify(text)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

describe('runc exec', { skip }, () => {
  let c: RuncContainer;
  before(async () => {
    c = await startRuncContainer({ args: ['sleep', '86400'] });
  });
  after(async () => {
    if (!c) return;
    const { root, id } = c.target;
    await c.stop();
    assert.equal(existsSync(root), false, 'runc root removed');
    assert.equal(alive(String(c.pid)), false, 'container process gone');
    const netns = await runOk('ip', ['netns', 'list']);
    assert.doesNotMatch(netns, new RegExp(id));
    const strays = readdirSync('/proc').filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        return argv[0] === 'sleep' && /^9\d$/.test(argv[1] ?? '') && alive(d);
      } catch {
        return false;
      }
    });
    assert.deepEqual(strays, [], 'no exec test process left on the host');
  });

  test('execSync returns stdout, stderr and the exit code', async () => {
    const r = await runcExecSync(c.target, ['sh', '-c', 'echo out; echo err >&2; exit 3'], 5000);
    assert.equal(r.stdout.toString(), 'out\n');
    assert.equal(r.stderr.toString(), 'err\n');
    assert.equal(r.exitCode, 3);
    assert.equal(r.timedOut, false);
    const ok = await runcExecSync(c.target, ['true'], 5000);
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.stdout.length + ok.stderr.length, 0);
  });

  test('execSync applies env, cwd and user', async () => {
    const r = await runcExecSync(c.target, ['sh', '-c', 'echo "$FOO"; pwd; id -u'], 5000, {
      env: ['FOO=bar baz'],
      cwd: '/tmp',
      user: '65534:65534',
    });
    assert.equal(r.stdout.toString(), 'bar baz\n/tmp\n65534\n');
    assert.equal(r.exitCode, 0);
  });

  test('execSync timeout kills the process and its children for real', async () => {
    const t0 = Date.now();
    const r = await runcExecSync(
      c.target,
      ['sh', '-c', 'echo started; sleep 91 & sleep 92; echo never'],
      1500,
    );
    const elapsed = Date.now() - t0;
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, EXEC_TIMEOUT_EXIT_CODE);
    assert.equal(r.stdout.toString(), 'started\n');
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    assert.deepEqual(await liveInContainer(c, 'sleep 9'), []);
  });

  test('a missing container rejects with RuntimeNotFoundError and runc message', async () => {
    await assert.rejects(
      runcExecSync({ ...c.target, id: 'no-such-container' }, ['true'], 5000),
      (e: unknown) => e instanceof RuntimeNotFoundError && /does not exist/.test(e.message),
    );
    await assert.rejects(
      runcExec({ ...c.target, id: 'no-such-container' }, ['sh'], {
        stdin: true,
        tty: true,
        stderr: false,
      }),
      RuntimeNotFoundError,
    );
  });

  test('a stopped container rejects with RuntimeNotFoundError', async () => {
    const done = await startRuncContainer({ args: ['true'] });
    try {
      const state = (): Promise<string> =>
        runOk('runc', ['--root', done.target.root, 'state', done.target.id]);
      for (let i = 0; i < 100 && !(await state()).includes('"stopped"'); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await assert.rejects(
        runcExecSync(done.target, ['true'], 5000),
        (e: unknown) => e instanceof RuntimeNotFoundError && /stopped/.test(e.message),
      );
    } finally {
      await done.stop();
    }
  });

  test('a missing executable exits 127 with runc message on stderr', async () => {
    const r = await runcExecSync(c.target, ['no-such-binary'], 5000);
    assert.equal(r.exitCode, 127);
    assert.match(r.stderr.toString(), /OCI runtime exec failed: .*no-such-binary/);
    const s = await runcExec(c.target, ['no-such-binary'], {
      stdin: false,
      tty: false,
      stderr: true,
    });
    const err = reader(s.stderr!);
    assert.equal(await s.exited, 127);
    await err.ended;
    assert.match(err.text(), /executable file not found/);
  });

  test('streaming exec echoes stdin through cat', async () => {
    const s = await runcExec(c.target, ['cat'], { stdin: true, tty: false, stderr: true });
    const out = reader(s.stdout);
    s.stdin!.write('hello\n');
    await out.waitFor(/hello\n/);
    s.stdin!.end('world\n');
    assert.equal(await s.exited, 0);
    await out.ended;
    assert.equal(out.text(), 'hello\nworld\n');
  });

  test('streaming exec keeps stderr apart and reports exit code 3', async () => {
    const s = await runcExec(c.target, ['sh', '-c', 'echo o; echo e >&2; exit 3'], {
      stdin: false,
      tty: false,
      stderr: true,
    });
    assert.equal(s.stdin, undefined);
    const out = reader(s.stdout);
    const err = reader(s.stderr!);
    assert.equal(await s.exited, 3);
    await Promise.all([out.ended, err.ended]);
    assert.equal(out.text(), 'o\n');
    assert.equal(err.text(), 'e\n');
  });

  test('tty exec: a terminal, TERM, merged stderr, resize, exit code', async () => {
    const s = await runcExec(c.target, ['sh'], { stdin: true, tty: true, stderr: true });
    assert.equal(s.stderr, undefined);
    const out = reader(s.stdout);
    s.stdin!.write('tty; echo "term=$TERM"; echo to-stderr >&2; stty size\n');
    await out.waitFor(/\/dev\/pts\/\d+/);
    await out.waitFor(/term=xterm/);
    await out.waitFor(/to-stderr/);
    await out.waitFor(/\n24 80\r?\n/);
    s.resize(132, 50);
    await new Promise((r) => setTimeout(r, 200));
    s.stdin!.write('stty size\n');
    await out.waitFor(/\n50 132\r?\n/);
    s.stdin!.write('exit 5\n');
    assert.equal(await s.exited, 5);
  });

  test('tty exec: closing stdin is end-of-file for the command', async () => {
    const s = await runcExec(c.target, ['cat'], { stdin: true, tty: true, stderr: false });
    const out = reader(s.stdout);
    s.stdin!.end('line\n');
    assert.equal(await s.exited, 0);
    assert.match(out.text(), /line/);
  });

  test('kill() ends the session and its process in the container', async () => {
    const s = await runcExec(c.target, ['sleep', '93'], {
      stdin: true,
      tty: false,
      stderr: true,
    });
    for (let i = 0; (await liveInContainer(c, 'sleep 93')).length !== 1; i++) {
      assert.ok(i < 20, 'sleep 93 did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    s.kill();
    assert.equal(await s.exited, 137);
    assert.deepEqual(await liveInContainer(c, 'sleep 93'), []);
    const t = await runcExec(c.target, ['sleep', '94'], {
      stdin: true,
      tty: true,
      stderr: false,
    });
    t.kill();
    assert.notEqual(await t.exited, 0);
    assert.deepEqual(await liveInContainer(c, 'sleep 94'), []);
  });

  test('latency of execSync(true), median of 20', async (t) => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const r = await runcExecSync(c.target, ['true'], 5000);
      times.push(performance.now() - t0);
      assert.equal(r.exitCode, 0);
    }
    times.sort((a, b) => a - b);
    const median = (times[9]! + times[10]!) / 2;
    t.diagnostic(
      `runcExecSync(['true']) median ${median.toFixed(1)} ms (min ${times[0]!.toFixed(1)}, max ${times[19]!.toFixed(1)})`,
    );
    assert.deepEqual(readdirSync(c.target.execDir), [], 'pid and log files removed');
  });
});

describe('conmon attach', { skip: attachSkip }, () => {
  after(() => {
    const bridges = readdirSync('/proc').filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        return argv.startsWith('socat\0') && argv.includes('podbay-runc-') && alive(d);
      } catch {
        return false;
      }
    });
    assert.deepEqual(bridges, [], 'no socat bridge left');
  });

  test('stdin in (its end closes the container stdin), stdout and stderr apart, exit code', async () => {
    const script = 'while read l; do echo "out:$l"; echo "err:$l" >&2; done; echo eof; exit 7';
    const c = await startRuncContainer({
      args: ['sh', '-c', script],
      conmon: { stdin: true, tty: false },
    });
    try {
      const s = await conmonAttach(
        c.bundle,
        { stdin: true, tty: false, stderr: true },
        { socketPath: c.attachSocket! },
      );
      const out = reader(s.stdout);
      const err = reader(s.stderr!);
      s.stdin!.write('hello\n');
      await out.waitFor(/out:hello\n/);
      await err.waitFor(/err:hello\n/);
      // Ending stdin closes the container's stdin; the output goes on until the exit.
      s.stdin!.end('bye\n');
      assert.equal(await s.exited, 7);
      assert.equal(out.text(), 'out:hello\nout:bye\neof\n');
      assert.equal(err.text(), 'err:hello\nerr:bye\n');
      await assert.rejects(
        conmonAttach(c.bundle, { stdin: false, tty: false, stderr: true }),
        RuntimeNotFoundError,
      );
    } finally {
      await c.stop();
    }
  });

  test('tty: resize through the ctl fifo, exit code', async () => {
    const c = await startRuncContainer({ args: ['sh'], conmon: { stdin: true, tty: true } });
    try {
      const s = await conmonAttach(c.bundle, { stdin: true, tty: true, stderr: true });
      assert.equal(s.stderr, undefined);
      const out = reader(s.stdout);
      s.resize(132, 50);
      await new Promise((r) => setTimeout(r, 200));
      s.stdin!.write('tty; stty size; echo to-stderr >&2\n');
      await out.waitFor(/\/dev\/pts\/\d+/);
      await out.waitFor(/\n50 132\r?\n/);
      await out.waitFor(/to-stderr/);
      s.stdin!.write('exit 5\n');
      assert.equal(await s.exited, 5);
    } finally {
      await c.stop();
    }
  });

  test('kill() detaches and leaves the container running', async () => {
    const c = await startRuncContainer({
      args: ['sh', '-c', 'while :; do echo tick; sleep 0.1; done'],
      conmon: { stdin: false, tty: false },
    });
    try {
      const s = await conmonAttach(c.bundle, { stdin: false, tty: false, stderr: false });
      assert.equal(s.stdin, undefined);
      const out = reader(s.stdout);
      await out.waitFor(/tick\ntick\n/);
      s.kill();
      assert.equal(await s.exited, 0);
      await out.ended;
      const state = await runOk('runc', ['--root', c.target.root, 'state', c.target.id]);
      assert.match(state, /"status": "running"/);
    } finally {
      await c.stop();
    }
  });
});

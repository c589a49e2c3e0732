/**
 * runc-exec against a stand-in `runc` (a shell script that parses the same flags, writes the
 * pid file and runs the command on the host in its own session), so the process handling —
 * timeouts, kills, output caps, error classification, the tty bridge and resize — is tested
 * without root. The real thing is covered by test/integration/runc-exec.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeNotFoundError } from '../container-runtime.ts';
import {
  EXEC_OUTPUT_CAP,
  EXEC_TIMEOUT_EXIT_CODE,
  runcExec,
  runcExecSync,
  type RuncTarget,
} from './runc-exec.ts';

const fakeRunc = `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    --log) log=$2; shift 2 ;;
    --pid-file) pidfile=$2; shift 2 ;;
    --env) export "$2"; shift 2 ;;
    --cwd) cd "$2" || exit 255; shift 2 ;;
    --root|--log-format|--user) shift 2 ;;
    exec|-t) shift ;;
    *) break ;;
  esac
done
id=$1; shift
fail() { printf '{"level":"error","msg":"%s"}\\n' "$1" >"$log"; echo "$1" >&2; exit 255; }
[ "$id" = missing ] && fail 'exec failed: container does not exist'
[ "$id" = stopped ] && fail 'exec failed: cannot exec in a stopped container'
[ "$1" = nope ] && fail 'exec failed: unable to start container process: exec: nope: executable file not found in $PATH'
# a background job gets /dev/null as stdin unless it is redirected explicitly
exec 3<&0
setsid sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" <&3 3<&- &
wait $!
`;

const skip = spawnSync('sh', ['-c', 'command -v setsid && command -v script']).status !== 0;

/** Host processes (not zombies) whose argv is exactly `argv`. */
function hostProcesses(argv: string[]): string[] {
  const want = argv.join('\0') + '\0';
  return readdirSync('/proc').filter((d) => {
    try {
      return (
        readFileSync(`/proc/${d}/cmdline`, 'utf8') === want &&
        !/^State:\s+Z/m.test(readFileSync(`/proc/${d}/status`, 'utf8'))
      );
    } catch {
      return false;
    }
  });
}

async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.on('end', () => resolve(s));
  });
}

describe('runc exec process handling (stand-in runc)', { skip }, () => {
  let dir: string;
  let t: RuncTarget;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'podbay-runc-exec-'));
    writeFileSync(join(dir, 'runc'), fakeRunc);
    chmodSync(join(dir, 'runc'), 0o755);
    t = { runc: join(dir, 'runc'), root: join(dir, 'root'), id: 'c1', execDir: join(dir, 'exec') };
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('sync: output, exit code, env and cwd; pid and log files removed', async () => {
    const r = await runcExecSync(t, ['sh', '-c', 'echo "$A"; pwd; echo e >&2; exit 4'], 5000, {
      env: ['A=1 2'],
      cwd: '/tmp',
    });
    assert.deepEqual(
      { out: r.stdout.toString(), err: r.stderr.toString(), code: r.exitCode, to: r.timedOut },
      { out: '1 2\n/tmp\n', err: 'e\n', code: 4, to: false },
    );
    assert.deepEqual(readdirSync(t.execDir), []);
  });

  test('sync: the timeout kills the whole process group and reports 137', async () => {
    const t0 = Date.now();
    const r = await runcExecSync(t, ['sh', '-c', 'echo up; sleep 8471 & sleep 8472'], 800);
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, EXEC_TIMEOUT_EXIT_CODE);
    assert.equal(r.stdout.toString(), 'up\n');
    assert.ok(Date.now() - t0 < 4000);
    assert.deepEqual(hostProcesses(['sleep', '8471']), []);
    assert.deepEqual(hostProcesses(['sleep', '8472']), []);
  });

  test('sync: a background process holding the pipes does not hold the result', async () => {
    const t0 = Date.now();
    const r = await runcExecSync(t, ['sh', '-c', 'sleep 8475 & echo hi'], 5000);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.toString(), 'hi\n');
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    for (const pid of hostProcesses(['sleep', '8475'])) process.kill(Number(pid), 'SIGKILL');
  });

  test('sync: each output is capped', async () => {
    const r = await runcExecSync(t, ['head', '-c', String(EXEC_OUTPUT_CAP + 1000), '/dev/zero'], 0);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.length, EXEC_OUTPUT_CAP);
  });

  test('a missing or stopped container rejects with RuntimeNotFoundError', async () => {
    for (const id of ['missing', 'stopped']) {
      await assert.rejects(runcExecSync({ ...t, id }, ['true'], 1000), (e: unknown) => {
        assert.ok(e instanceof RuntimeNotFoundError);
        assert.match(e.message, new RegExp(`container ${id}: exec failed: .*(exist|stopped)`));
        return true;
      });
      await assert.rejects(
        runcExec({ ...t, id }, ['sh'], { stdin: true, tty: false, stderr: true }),
        RuntimeNotFoundError,
      );
    }
  });

  test('a command runc cannot start exits 127 with runc message', async () => {
    const r = await runcExecSync(t, ['nope'], 1000);
    assert.equal(r.exitCode, 127);
    assert.match(r.stderr.toString(), /^OCI runtime exec failed: .*executable file not found/);
    const s = await runcExec(t, ['nope'], { stdin: false, tty: true, stderr: true });
    assert.equal(s.stderr, undefined);
    assert.match(await readAll(s.stdout), /executable file not found/);
    assert.equal(await s.exited, 127);
  });

  test('a missing runc binary is an error, not an exit code', async () => {
    const bad = { ...t, runc: join(dir, 'no-runc') };
    await assert.rejects(runcExecSync(bad, ['true'], 1000), /cannot run runc: .*ENOENT/);
    await assert.rejects(
      runcExec(bad, ['true'], { stdin: false, tty: false, stderr: true }),
      /cannot run runc: .*ENOENT/,
    );
  });

  test('streaming: stdin, separate stderr, exit code', async () => {
    const s = await runcExec(t, ['sh', '-c', 'cat; echo bye >&2; exit 3'], {
      stdin: true,
      tty: false,
      stderr: true,
    });
    const out = readAll(s.stdout);
    const err = readAll(s.stderr!);
    s.stdin!.end('abc\n');
    assert.equal(await s.exited, 3);
    assert.equal(await out, 'abc\n');
    assert.equal(await err, 'bye\n');
  });

  test('streaming: kill() ends the process group', async () => {
    const s = await runcExec(t, ['sh', '-c', 'sleep 8473 & sleep 8474'], {
      stdin: false,
      tty: false,
      stderr: false,
    });
    await eventually(() => hostProcesses(['sleep', '8474']).length === 1);
    s.kill();
    assert.equal(await s.exited, 137);
    assert.deepEqual(hostProcesses(['sleep', '8473']), []);
    assert.deepEqual(hostProcesses(['sleep', '8474']), []);
  });

  test('tty: a terminal of 80x24, resize, stdin end is end-of-file', async () => {
    const s = await runcExec(
      t,
      ['sh', '-c', 'tty; stty size; read a; stty size; cat; echo "done $a"; exit 6'],
      { stdin: true, tty: true, stderr: true },
    );
    let out = '';
    s.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(() => /\/dev\/pts\/\d+\r?\n24 80\r?\n/.test(out));
    s.resize(100, 40);
    await new Promise((r) => setTimeout(r, 150));
    s.stdin!.write('x\n');
    await eventually(() => /\n40 100\r?\n/.test(out));
    s.stdin!.end();
    assert.equal(await s.exited, 6);
    assert.match(out, /done x/);
  });

  test('tty without stdin keeps the terminal open until the command ends', async () => {
    const s = await runcExec(t, ['sh', '-c', 'sleep 0.2; tty; exit 2'], {
      stdin: false,
      tty: true,
      stderr: false,
    });
    assert.equal(s.stdin, undefined);
    const out = readAll(s.stdout);
    assert.equal(await s.exited, 2);
    assert.match(await out, /\/dev\/pts\/\d+/);
  });
});

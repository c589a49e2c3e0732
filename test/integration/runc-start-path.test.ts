/**
 * The fast start path under real runc: runc run from a read-only bind mount (sealed-runc.ts)
 * and containers started through their exec fifo (exec-fifo.ts) instead of `runc start`,
 * including the failure cases `runc start` reports.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecFifoError, startThroughExecFifo } from '../../src/runtime/runc/exec-fifo.ts';
import { mountsUnder } from '../../src/runtime/runc/mounts.ts';
import { releaseSealedRunc, runcEnv, sealedRunc } from '../../src/runtime/runc/sealed-runc.ts';
import { buildBusyboxRootfs } from '../support/images/busybox-rootfs.ts';
import { canRunContainers } from '../support/runc-container.ts';

const skip = await canRunContainers();

describe('runc start path', { skip }, () => {
  let dir = '';
  let root = '';
  let bundle = '';
  let runc = '';
  let hostRunc = '';
  const made: string[] = [];

  const runcArgs = (...args: string[]): string =>
    execFileSync(runc, ['--root', root, ...args], { env: runcEnv() }).toString();

  /** `runc create` of a busybox `sleep`; returns the init pid. */
  function create(id: string): number {
    made.push(id);
    execFileSync(runc, ['--root', root, 'create', '--bundle', bundle, id], {
      env: runcEnv(),
      stdio: 'ignore',
    });
    return (JSON.parse(runcArgs('state', id)) as { pid: number }).pid;
  }

  const status = (id: string): string =>
    (JSON.parse(runcArgs('state', id)) as { status: string }).status;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podbay-start-path-'));
    root = join(dir, 'root');
    bundle = join(dir, 'bundle');
    mkdirSync(join(bundle, 'rootfs'), { recursive: true });
    execFileSync('tar', ['-xf', await buildBusyboxRootfs(), '-C', join(bundle, 'rootfs')]);
    execFileSync('runc', ['spec'], { cwd: bundle });
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
      process: { terminal: boolean; args: string[] };
    };
    spec.process.terminal = false;
    spec.process.args = ['sleep', '1000'];
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    hostRunc = execFileSync('sh', ['-c', 'command -v runc']).toString().trim();
    runc = await sealedRunc(hostRunc, dir);
  });

  after(async () => {
    for (const id of made) spawnSync('runc', ['--root', root, 'delete', '--force', id]);
    await releaseSealedRunc(dir);
    const left = await mountsUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no mounts left');
  });

  test('runc runs from a read-only bind mount of itself, made once', async () => {
    assert.equal(runc, join(dir, 'runc.bin'));
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === runc);
    assert.ok(line, 'the bind mount is in place');
    assert.match(line.split(' ')[5] ?? '', /(^|,)ro(,|$)/, 'mounted read-only');
    assert.equal(await sealedRunc(hostRunc, dir), runc);
    assert.equal((await mountsUnder(runc)).length, 1, 'a second call mounts nothing more');
    assert.throws(() => writeFileSync(runc, 'x'), /EROFS|EBUSY|ETXTBSY|read-only/i);
  });

  test('a created container runs once its exec fifo is read, as after runc start', async () => {
    const pid = create('fifo-ok');
    assert.equal(status('fifo-ok'), 'created');
    await startThroughExecFifo(root, 'fifo-ok', pid);
    assert.equal(status('fifo-ok'), 'running');
    assert.ok(!existsSync(join(root, 'fifo-ok', 'exec.fifo')), 'the fifo is gone');
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sleep\0/);
  });

  test('starting a running container fails as runc start does', async () => {
    const pid = create('fifo-twice');
    await startThroughExecFifo(root, 'fifo-twice', pid);
    await assert.rejects(
      startThroughExecFifo(root, 'fifo-twice', pid),
      (e: unknown) =>
        e instanceof ExecFifoError && /cannot start an already running container/.test(e.message),
    );
  });

  test('a container whose init died before the start is reported, not waited for', async () => {
    const pid = create('fifo-dead');
    process.kill(pid, 'SIGKILL');
    const t0 = performance.now();
    await assert.rejects(
      startThroughExecFifo(root, 'fifo-dead', pid),
      (e: unknown) => e instanceof ExecFifoError && /already dead/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 5000, 'gave up within seconds');
  });
});

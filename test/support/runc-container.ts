/**
 * Test fixture: one real busybox container run detached by runc, in its own netns and pinned
 * UTS/IPC namespaces, with a private `runc --root`. `stop()` removes everything it created
 * (container state, cgroup, namespaces, mounts, temp dirs) and fails loudly if it cannot.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conmonCreate } from '../../src/runtime/runc/conmon.ts';
import { buildOciSpec } from '../../src/runtime/runc/oci-spec.ts';
import type { RuncTarget } from '../../src/runtime/runc/runc-exec.ts';
import { buildBusyboxRootfs } from './images/busybox-rootfs.ts';

/** Result of a finished helper command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (stdin closed) and returns its exit code and output. */
export function runCmd(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like {@link runCmd} but rejects when the command exits non-zero. */
export async function runOk(cmd: string, args: string[]): Promise<string> {
  const r = await runCmd(cmd, args);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${String(r.code)}: ${r.stderr.slice(-500)}`);
  }
  return r.stdout;
}

/** True when this process can run real containers (root, runc, unshare, ip). */
export async function canRunContainers(): Promise<string | false> {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['runc', 'unshare', 'ip', 'script']) {
    const r = await runCmd('sh', ['-c', `command -v ${bin}`]).catch(() => undefined);
    if (r?.code !== 0) return `${bin} is not installed`;
  }
  return false;
}

/** A running test container. */
export interface RuncContainer {
  target: RuncTarget;
  bundle: string;
  /** Host pid of the container's PID 1. */
  pid: number;
  /** With conmon: the CRI-format log and the exit-dir file. */
  logPath?: string;
  exitFile?: string;
  /** With conmon: the attach socket through conmon's short symlink in the socket dir. */
  attachSocket?: string;
  /** Kills and deletes the container and removes everything the fixture created. */
  stop(): Promise<void>;
}

async function hostLimits(): Promise<{ nofileHard: number; oomScoreAdj: number }> {
  const limits = await readFile('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limits);
  const hard = m?.[1] === 'unlimited' || m?.[1] === undefined ? 1048576 : Number(m[1]);
  const adj = Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
  return { nofileHard: hard, oomScoreAdj: adj };
}

/** Removes the container's cgroup from every hierarchy if runc left it behind. */
async function removeCgroups(name: string): Promise<void> {
  for (const h of await readdir('/sys/fs/cgroup').catch(() => [])) {
    const d = join('/sys/fs/cgroup', h, name);
    if (existsSync(d)) await rmdir(d);
  }
}

/** Waits (up to 5 s) until the bundle's conmon has exited, so nothing outlives `stop()`. */
async function waitConmonGone(bundle: string): Promise<void> {
  const pid = await readFile(join(bundle, 'conmon.pid'), 'utf8').catch(() => '');
  if (pid.trim() === '') return;
  for (let i = 0; i < 250; i++) {
    const status = await readFile(`/proc/${pid.trim()}/status`, 'utf8').catch(() => '');
    if (status === '' || /^State:\s+Z/m.test(status)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`conmon ${pid.trim()} still running`);
}

/**
 * Starts `args` in a fresh busybox container (detached, stdio to /dev/null) and resolves once
 * runc reports it running.
 */
export async function startRuncContainer(options: {
  args: string[];
  /** Run under conmon (notes §3.3) instead of `runc run -d`; `tty` sets `process.terminal`. */
  conmon?: { stdin: boolean; tty: boolean };
}): Promise<RuncContainer> {
  const id = `pbx-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'podbay-runc-'));
  const root = join(dir, 'state');
  const bundle = join(dir, 'bundle');
  const rootfs = join(bundle, 'rootfs');
  const nsDir = join(dir, 'ns');
  const execDir = join(dir, 'exec');
  const netns = id;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const c of cleanups.reverse()) {
      await c().catch((e: unknown) => errors.push(e));
    }
    cleanups.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, `cleanup of ${id} failed`);
  };
  try {
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await Promise.all([root, rootfs, nsDir, execDir].map((d) => mkdir(d, { recursive: true })));
    const tar = await buildBusyboxRootfs();
    await runOk('tar', ['--numeric-owner', '-C', rootfs, '-xf', tar]);
    await runOk('ip', ['netns', 'add', netns]);
    cleanups.push(() => runOk('ip', ['netns', 'del', netns]));
    await runOk('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    const uts = join(nsDir, 'uts');
    const ipc = join(nsDir, 'ipc');
    await writeFile(uts, '');
    await writeFile(ipc, '');
    cleanups.push(() => runOk('umount', [uts]).catch(() => undefined));
    cleanups.push(() => runOk('umount', [ipc]).catch(() => undefined));
    await runOk('unshare', [`--uts=${uts}`, `--ipc=${ipc}`, 'true']);
    const spec = buildOciSpec({
      args: options.args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${id}`],
      cwd: '/',
      uid: 0,
      gid: 0,
      hostname: id,
      rootfs,
      cgroupsPath: `/podbay-test-${id}`,
      netnsPath: `/run/netns/${netns}`,
      utsPath: uts,
      ipcPath: ipc,
      mounts: [],
      hostLimits: await hostLimits(),
    });
    if (options.conmon?.tty === true)
      (spec['process'] as Record<string, unknown>)['terminal'] = true;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    cleanups.push(async () => {
      await runCmd('runc', ['--root', root, 'kill', '--all', id, 'KILL']);
      const conmonLeft = await waitConmonGone(bundle).catch((e: unknown) => e);
      for (let i = 0; ; i++) {
        const r = await runCmd('runc', ['--root', root, 'delete', '--force', id]);
        const list = await runOk('runc', ['--root', root, 'list', '-q']);
        if (!list.split('\n').includes(id)) break;
        if (i === 99) throw new Error(`runc delete ${id}: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      await removeCgroups(`podbay-test-${id}`);
      if (conmonLeft instanceof Error) throw conmonLeft;
    });
    if (options.conmon) {
      const logPath = join(dir, 'container.log');
      const pid = await conmonCreate({
        conmon: (await runOk('sh', ['-c', 'command -v conmon'])).trim(),
        runc: (await runOk('sh', ['-c', 'command -v runc'])).trim(),
        runcRoot: root,
        id,
        name: id,
        bundle,
        logPath,
        exitDir: join(dir, 'exits'),
        socketDir: join(dir, 's'),
        ...options.conmon,
      });
      await runOk('runc', ['--root', root, 'start', id]);
      const target = { runc: 'runc', root, id, execDir };
      const exitFile = join(dir, 'exits', id);
      const attachSocket = join(dir, 's', id, 'attach');
      return { target, bundle, pid, logPath, exitFile, attachSocket, stop };
    }
    const pidFile = join(dir, 'container.pid');
    // The container inherits runc's stdio, so stderr goes to a file, not a pipe we would wait on.
    const errFile = join(dir, 'runc-run.err');
    const errFd = openSync(errFile, 'w');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        'runc',
        ['--root', root, 'run', '-d', '--pid-file', pidFile, '--bundle', bundle, id],
        { stdio: ['ignore', 'ignore', errFd] },
      );
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    }).finally(() => closeSync(errFd));
    if (code !== 0) {
      const err = await readFile(errFile, 'utf8');
      throw new Error(`runc run ${id} exited ${String(code)}: ${err}`);
    }
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return { target: { runc: 'runc', root, id, execDir }, bundle, pid, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

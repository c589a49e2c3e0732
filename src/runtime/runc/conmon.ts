/**
 * Starting a container under conmon (notes/runtime.md §3.3): conmon double-forks, runs
 * `runc create`, becomes the container's parent (subreaper), writes the CRI log, and writes the
 * exit code to the exit directory when the container ends. The daemon learns the container's
 * pid (or runc's error) from conmon's sync pipe on fd 3, then never parents the container.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runcEnv } from './sealed-runc.ts';
import { spawnViaHelper } from '../../lib/spawner.ts';

/** What conmon needs for one container. */
export interface ConmonSpec {
  conmon: string;
  runc: string;
  runcRoot: string;
  id: string;
  name: string;
  bundle: string;
  logPath: string;
  exitDir: string;
  socketDir: string;
  stdin: boolean;
  /** Close the container's stdin after the first attach ends (`stdinOnce`). */
  stdinOnce?: boolean;
  tty: boolean;
}

/** runc create failed; `message` is runc's own error text. */
export class ConmonCreateError extends Error {
  override name = 'ConmonCreateError';
}

/** Starts conmon (which runs `runc create`); resolves with the container's pid. */
export async function conmonCreate(spec: ConmonSpec): Promise<number> {
  await Promise.all([
    mkdir(join(spec.bundle, 'persist'), { recursive: true }),
    mkdir(spec.exitDir, { recursive: true }),
    mkdir(spec.socketDir, { recursive: true }),
    mkdir(dirname(spec.logPath), { recursive: true }),
  ]);
  const args = [
    '--api-version', '1',
    '-c', spec.id,
    '-u', spec.id,
    '-n', spec.name,
    '-r', spec.runc,
    '-b', spec.bundle,
    '-p', join(spec.bundle, 'pidfile'),
    '-P', join(spec.bundle, 'conmon.pid'),
    '-l', `k8s-file:${spec.logPath}`,
    '--exit-dir', spec.exitDir,
    '--persist-dir', join(spec.bundle, 'persist'),
    '--socket-dir-path', spec.socketDir,
    '--runtime-arg', `--root=${spec.runcRoot}`,
    '--log-level', 'error',
    ...(spec.stdin ? ['-i'] : []),
    ...(spec.stdin && spec.stdinOnce === false ? ['--leave-stdin-open'] : []),
    ...(spec.tty ? ['-t'] : []),
  ]; // prettier-ignore
  const env = { ...runcEnv(), _OCI_SYNCPIPE: '3' };
  const viaHelper = spawnViaHelper({
    cmd: spec.conmon,
    args,
    cwd: spec.bundle,
    env,
    syncPipe: true,
  });
  if (viaHelper) {
    const r = await viaHelper;
    if (r.code !== 0) {
      const why = r.error ?? `exited ${String(r.code)}`;
      throw new Error(`conmon ${why}: ${r.stderr.trim().slice(-500)}`);
    }
    return syncResult(r.stdout);
  }
  const child = spawn(spec.conmon, args, {
    cwd: spec.bundle,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env,
  });
  const sync = child.stdio[3] as NodeJS.ReadableStream;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<number>((resolve, reject) => {
    let buf = '';
    let done = false;
    const finish = (err: Error | undefined, pid?: number): void => {
      if (done) return;
      done = true;
      (sync as unknown as { destroy(): void }).destroy();
      child.unref();
      if (err) reject(err);
      else resolve(pid ?? 0);
    };
    sync.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        finish(undefined, syncResult(buf.slice(0, nl)));
      } catch (err: unknown) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    });
    sync.on('error', () => undefined);
    child.on('error', (err) => finish(err));
    child.on('exit', (code) => {
      // The first conmon process exits at once (double fork); only an early failure matters.
      setTimeout(() => {
        if (!done && code !== 0)
          finish(new Error(`conmon exited ${String(code)}: ${stderr.trim().slice(-500)}`));
      }, 100).unref();
    });
  });
}

/** The container's pid from conmon's sync message, or runc's error. */
function syncResult(line: string): number {
  const msg = JSON.parse(line) as { data: number; message?: string };
  if (msg.data > 0) return msg.data;
  throw new ConmonCreateError(cleanRuncMessage(msg.message ?? 'runc create failed'));
}

/** runc prints JSON log lines or `time=… level=error msg="…"`; keep only the message. */
export function cleanRuncMessage(raw: string): string {
  const lines = raw.trim().split('\n');
  const msgs = lines.map((l) => {
    try {
      const j = JSON.parse(l) as { msg?: string };
      if (typeof j.msg === 'string') return j.msg;
    } catch {
      /* not JSON */
    }
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(l);
    return m ? m[1]!.replace(/\\"/g, '"') : l;
  });
  return msgs.filter((m) => m.trim()).join('; ');
}

/** Asks conmon to reopen the container's log file (after a rotation renamed it). */
export async function conmonReopenLog(bundle: string): Promise<void> {
  const fh = await open(join(bundle, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write('2 0 0\n'); // message type 2: reopen the log
  } finally {
    await fh.close();
  }
}

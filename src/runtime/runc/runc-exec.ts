/**
 * `runc exec` for probes, hooks (synchronous, with a real timeout) and kubectl exec (streaming,
 * with or without a tty). runc is a child of this process; the exec'd process is a child of that
 * runc process and the leader of its own session, so killing it means SIGKILL to its process
 * group, whose pid runc writes to `--pid-file` (SIGKILL on `runc exec` itself would orphan it).
 *
 * A tty needs a real terminal on runc's side: `script` gives it one and proxies it over pipes;
 * the window size is set with `stty -F /proc/<runc>/fd/0`, which makes runc resize the terminal
 * inside the container. runc's own errors go to a JSON log file per exec, so they are never
 * mixed with the command's output.
 *
 * Outcomes:
 * - the container does not exist or is not running → rejects with {@link RuntimeNotFoundError}
 *   carrying runc's message;
 * - runc could not start the command (e.g. no such executable) → exit code 127 (not found) or
 *   126 (other), with `OCI runtime exec failed: <runc's message>` on stderr;
 * - timeout (sync only) → the process group is SIGKILLed and the result is
 *   `{ timedOut: true, exitCode: 137 }` (128 + SIGKILL) with the output read so far.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { constants } from 'node:os';
import {
  RuntimeNotFoundError,
  type ExecOptions,
  type ExecSyncResult,
  type StreamSession,
} from '../container-runtime.ts';
import { runcEnv } from './sealed-runc.ts';

/** Where and how to reach one container through runc. */
export interface RuncTarget {
  /** The runc binary (`runc` or a path). */
  runc: string;
  /** `runc --root`. */
  root: string;
  /** The container id. */
  id: string;
  /** A directory for exec pid and log files (created if missing). */
  execDir: string;
}

/** Per-exec process settings (`runc exec --env/--cwd/--user`). */
export interface ExecProcessOptions {
  /** Extra environment, `NAME=value`, on top of the container's. */
  env?: string[];
  cwd?: string;
  /** `uid[:gid]`. */
  user?: string;
}

/** Exit code reported for a command killed because its timeout expired (128 + SIGKILL). */
export const EXEC_TIMEOUT_EXIT_CODE = 137;
/** Each of stdout and stderr of a synchronous exec is cut at this many bytes. */
export const EXEC_OUTPUT_CAP = 16 * 1024 * 1024;
/** How long output pipes may stay open after runc exited (held by background processes). */
const DRAIN_GRACE_MS = 200;
/** How long to wait for the process to die after SIGKILL before killing runc too. */
const KILL_ESCALATE_MS = 2000;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs a pid (negative: a process group); false if there was nothing to kill. */
function sigkill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** Quotes one word for `sh -c`. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal === null ? 9 : constants.signals[signal]);
}

/** What runc reported when it failed before starting the command. */
export class ExecStartFailure {
  constructor(
    readonly message: string,
    readonly exitCode: number,
  ) {}
}

function classifyStartFailure(t: RuncTarget, message: string): ExecStartFailure {
  if (/does not exist|not running|stopped container|paused container/i.test(message)) {
    throw new RuntimeNotFoundError(`container ${t.id}: ${message}`);
  }
  const notFound = /executable file not found|no such file or directory/i.test(message);
  return new ExecStartFailure(`OCI runtime exec failed: ${message}`, notFound ? 127 : 126);
}

/** One running `runc exec` (directly, or under `script` for a tty). */
class RuncExecProcess {
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exited = false;
  private killing: Promise<void> | undefined;
  private spawnError: string | undefined;

  constructor(
    readonly t: RuncTarget,
    readonly child: ChildProcess,
    readonly pidFile: string,
    readonly logFile: string,
    private readonly tty: boolean,
  ) {
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      });
      child.once('error', (e) => {
        this.exited = true;
        this.spawnError = e.message;
        resolve({ code: 127, signal: null });
      });
    });
  }

  /** Host pid of the exec'd process, once runc has started it. */
  execPid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Resolves true once the command runs, false if runc exited before starting it. */
  async started(): Promise<boolean> {
    for (;;) {
      if (existsSync(this.pidFile)) return true;
      if (this.exited) return existsSync(this.pidFile);
      await Promise.race([delay(5), this.exit]);
    }
  }

  /** runc's error message (from its log, else from the given output tail). */
  async startError(outputTail: string): Promise<string> {
    if (this.spawnError !== undefined) {
      throw new Error(`exec in ${this.t.id}: cannot run runc: ${this.spawnError}`);
    }
    const log = await readFile(this.logFile, 'utf8').catch(() => '');
    const messages = log
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          const e = JSON.parse(l) as { level?: string; msg?: string };
          return e.level === 'error' || e.level === 'fatal' ? (e.msg ?? '') : '';
        } catch {
          return l;
        }
      })
      .filter((m) => m !== '');
    return messages.at(-1) ?? (outputTail.trim() || 'runc exec failed without a message');
  }

  /** The runc process (the child itself, or the child of `script` in tty mode). */
  runcPid(): number | undefined {
    const pid = this.child.pid;
    if (pid === undefined || !this.tty) return pid;
    try {
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      const first = Number(kids.split(/\s+/)[0]);
      return first > 0 ? first : undefined;
    } catch {
      return undefined;
    }
  }

  /** Kills the exec'd process group for real, then runc if it does not follow. Idempotent. */
  kill(): Promise<void> {
    this.killing ??= this.doKill();
    return this.killing;
  }

  private killGroup(pid: number): void {
    if (!sigkill(-pid)) sigkill(pid);
  }

  private async doKill(): Promise<void> {
    if (this.exited) return;
    // The pid is runc's child until runc exits, so it cannot have been reused.
    let pid = this.execPid();
    for (let i = 0; pid === undefined && !this.exited && i < 200; i++) {
      await Promise.race([delay(5), this.exit]);
      pid = this.execPid();
    }
    if (this.exited) return;
    if (pid !== undefined) this.killGroup(pid);
    if (await Promise.race([this.exit.then(() => true), delay(KILL_ESCALATE_MS)])) return;
    const runc = this.runcPid();
    for (const p of [runc, this.child.pid]) if (p !== undefined) sigkill(p);
    await this.exit;
    // runc may have started the command after all just before it died.
    const late = this.execPid();
    if (pid === undefined && late !== undefined) this.killGroup(late);
  }

  async cleanup(): Promise<void> {
    await Promise.all([rm(this.pidFile, { force: true }), rm(this.logFile, { force: true })]);
  }
}

const madeDirs = new Set<string>();

async function launch(
  t: RuncTarget,
  cmd: string[],
  mode: { tty: boolean; stdin: boolean; stderr: boolean },
  opts: ExecProcessOptions,
): Promise<RuncExecProcess> {
  if (cmd.length === 0) throw new Error('exec: empty command');
  if (!madeDirs.has(t.execDir)) {
    await mkdir(t.execDir, { recursive: true });
    madeDirs.add(t.execDir);
  }
  const base = join(t.execDir, `${t.id}-exec-${randomBytes(6).toString('hex')}`);
  const pidFile = `${base}.pid`;
  const logFile = `${base}.log`;
  const env = [...(opts.env ?? [])];
  if (mode.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  const args = ['--root', t.root, '--log', logFile, '--log-format', 'json', 'exec'];
  if (mode.tty) args.push('-t');
  args.push('--pid-file', pidFile);
  for (const e of env) args.push('--env', e);
  if (opts.cwd !== undefined) args.push('--cwd', opts.cwd);
  if (opts.user !== undefined) args.push('--user', opts.user);
  args.push(t.id, ...cmd);
  let child: ChildProcess;
  if (!mode.tty) {
    child = spawn(t.runc, args, {
      stdio: [mode.stdin ? 'pipe' : 'ignore', 'pipe', mode.stderr ? 'pipe' : 'ignore'],
      env: runcEnv(),
    });
  } else {
    // script runs `$SHELL -c line` on a fresh pty; the pty starts at 80x24, then runc execs.
    const line = `stty rows 24 cols 80 2>/dev/null; exec ${[t.runc, ...args].map(shellQuote).join(' ')}`;
    child = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...runcEnv(), SHELL: '/bin/sh' },
    });
  }
  child.stdin?.on('error', () => undefined); // EPIPE after the process ended
  return new RuncExecProcess(t, child, pidFile, logFile, mode.tty);
}

/** Resolves once `stream` closed, or after the grace period (orphans may hold the pipe). */
async function drained(streams: (Readable | null | undefined)[]): Promise<void> {
  const open = streams.filter((s): s is Readable => s != null && !s.destroyed);
  const closed = Promise.all(open.map((s) => new Promise((r) => s.once('close', r))));
  await Promise.race([closed, delay(DRAIN_GRACE_MS)]);
  for (const s of open) s.destroy();
}

/** Collects a stream into a buffer of at most `cap` bytes (reading on past the cap). */
function collect(stream: Readable | null | undefined, cap: number): () => Buffer {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on('data', (d: Buffer) => {
    if (size >= cap) return;
    const part = d.subarray(0, cap - size);
    chunks.push(part);
    size += part.length;
  });
  return () => Buffer.concat(chunks);
}

/**
 * Runs `cmd` in the running container and waits for it, collecting stdout and stderr (each cut
 * at {@link EXEC_OUTPUT_CAP}). After `timeoutMs` (none if ≤ 0) the process group is SIGKILLed
 * and the result has `timedOut: true` and exit code {@link EXEC_TIMEOUT_EXIT_CODE}.
 */
export async function runcExecSync(
  t: RuncTarget,
  cmd: string[],
  timeoutMs: number,
  opts: ExecProcessOptions = {},
): Promise<ExecSyncResult> {
  const p = await launch(t, cmd, { tty: false, stdin: false, stderr: true }, opts);
  const stdout = collect(p.child.stdout, EXEC_OUTPUT_CAP);
  const stderr = collect(p.child.stderr, EXEC_OUTPUT_CAP);
  let timedOut = false;
  const timer =
    timeoutMs > 0 && Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          void p.kill();
        }, timeoutMs)
      : undefined;
  try {
    const { code, signal } = await p.exit;
    await drained([p.child.stdout, p.child.stderr]);
    if (timedOut) {
      await p.kill();
      return { exitCode: EXEC_TIMEOUT_EXIT_CODE, stdout: stdout(), stderr: stderr(), timedOut };
    }
    if (code !== 0 && !existsSync(p.pidFile)) {
      const failure = classifyStartFailure(t, await p.startError(stderr().toString()));
      return {
        exitCode: failure.exitCode,
        stdout: Buffer.alloc(0),
        stderr: Buffer.from(failure.message + '\n'),
        timedOut: false,
      };
    }
    return { exitCode: exitCodeOf(code, signal), stdout: stdout(), stderr: stderr(), timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    await p.cleanup();
  }
}

/** A session that only reports a start failure (stderr, or stdout when there is none). */
function failedSession(failure: ExecStartFailure, options: ExecOptions): StreamSession {
  const stdout = new PassThrough();
  const stderr = options.stderr && !options.tty ? new PassThrough() : undefined;
  (stderr ?? stdout).end(failure.message + '\r\n');
  if (stderr) stdout.end();
  return {
    stdout,
    ...(stderr ? { stderr } : {}),
    ...(options.stdin ? { stdin: new PassThrough() } : {}),
    resize: () => undefined,
    exited: Promise.resolve(failure.exitCode),
    kill: () => undefined,
  };
}

/**
 * Starts an interactive `cmd` in the running container and resolves once it runs. With `tty`,
 * stderr is merged into stdout, `TERM=xterm` is set unless given, and `resize` works; closing
 * stdin sends end-of-file to the terminal. `exited` resolves with the exit code after the output
 * streams ended; `kill()` SIGKILLs the process group in the container.
 */
export async function runcExec(
  t: RuncTarget,
  cmd: string[],
  options: ExecOptions,
  opts: ExecProcessOptions = {},
): Promise<StreamSession> {
  const p = await launch(t, cmd, options, opts);
  const { child } = p;
  const stdout = new PassThrough();
  const stderr = options.stderr && !options.tty ? new PassThrough() : undefined;
  const tail = collect(options.tty ? child.stdout : child.stderr, 4096);
  child.stdout?.pipe(stdout, { end: false });
  if (stderr) child.stderr?.pipe(stderr, { end: false });
  if (!(await p.started())) {
    const message = await p.startError(tail().toString());
    await p.cleanup();
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.stdin?.destroy();
    return failedSession(classifyStartFailure(t, message), options);
  }
  const exited = p.exit.then(async ({ code, signal }) => {
    await drained([child.stdout, child.stderr]);
    stdout.end();
    stderr?.end();
    child.stdin?.destroy();
    await p.cleanup();
    return exitCodeOf(code, signal);
  });
  let resizing = Promise.resolve();
  const resize = (cols: number, rows: number): void => {
    if (!options.tty) return;
    const c = Math.max(1, Math.floor(cols));
    const r = Math.max(1, Math.floor(rows));
    resizing = resizing.then(
      () =>
        new Promise<void>((resolve) => {
          const tty = `/proc/${String(p.runcPid())}/fd/0`;
          const args = ['-F', tty, 'rows', String(r), 'cols', String(c)];
          const s = spawn('stty', args, { stdio: 'ignore' });
          s.once('error', () => resolve());
          s.once('exit', () => resolve());
        }),
    );
  };
  return {
    ...(options.stdin && child.stdin ? { stdin: child.stdin } : {}),
    stdout,
    ...(stderr ? { stderr } : {}),
    resize,
    exited,
    kill: () => void p.kill(),
  };
}

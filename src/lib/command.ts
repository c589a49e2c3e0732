/**
 * Runs an external program (runc, ip, mount, …) and returns its stdout; a non-zero exit rejects
 * with a {@link CommandError} that names the argv, the exit code and the tail of stderr, which
 * is what a runtime error message needs for debugging.
 */
import { spawn } from 'node:child_process';
import { spawnViaHelper } from './spawner.ts';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** A command that exited non-zero or could not be started. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly argv: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(
      `${argv.join(' ')} exited ${exitCode === null ? 'abnormally' : String(exitCode)}` +
        (stderr.trim() ? `: ${stderr.trim().slice(-800)}` : ''),
      options,
    );
  }
}

/** Options for {@link runCommand}. */
export interface RunOptions {
  /** Written to the program's stdin, then stdin is closed. */
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** Runs `cmd args…` (from the spawn helper, see spawner.ts); resolves with stdout, rejects with a CommandError. */
export async function runCommand(
  cmd: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  options.signal?.throwIfAborted();
  const viaHelper = spawnViaHelper(
    {
      cmd,
      args,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      env: options.env ?? process.env,
    },
    options.signal,
  );
  if (!viaHelper) return runDirectly(cmd, args, options);
  const r = await viaHelper;
  if (r.code === 0) return r.stdout;
  throw new CommandError([cmd, ...args], r.code, r.error ?? r.stderr);
}

function runDirectly(cmd: string, args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) =>
      reject(new CommandError([cmd, ...args], null, e.message, { cause: e })),
    );
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      if (code === 0) resolve(stdout);
      else reject(new CommandError([cmd, ...args], code, Buffer.concat(err).toString()));
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The absolute path of a program on PATH (conmon, for one, needs an absolute runtime path). */
export async function findOnPath(cmd: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = join(dir, cmd);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`${cmd} not found on PATH`);
}

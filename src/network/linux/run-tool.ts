/**
 * Runs `ip`, `nft` and friends for the pod network and returns stdout. A non-zero exit rejects
 * with a {@link ToolError} carrying the argv, exit code and stderr, so callers can tell
 * "already gone" from real failures.
 */
import { spawn } from 'node:child_process';

/** A tool that exited non-zero or could not be started. */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    readonly argv: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    const tail = stderr.trim().slice(-600);
    super(
      `${argv.join(' ')} exited ${String(exitCode ?? 'abnormally')}${tail ? `: ${tail}` : ''}`,
      options,
    );
  }
}

/** Runs `cmd args…` with optional stdin; resolves with stdout. */
export function runTool(
  cmd: string,
  args: string[],
  options: { input?: string; signal?: AbortSignal } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const argv = [cmd, ...args];
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new ToolError(argv, null, e.message, { cause: e })));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new ToolError(argv, code, Buffer.concat(err).toString()));
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading
    child.stdin.end(options.input ?? '');
  });
}

/** True when `e` is a ToolError whose stderr matches `pattern` (e.g. "Cannot find device"). */
export function toolFailedWith(e: unknown, pattern: RegExp): boolean {
  return e instanceof ToolError && pattern.test(e.stderr);
}

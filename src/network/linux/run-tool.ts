/**
 * Runs `ip`, `nft` and friends for the pod network and returns stdout. A non-zero exit rejects
 * with a {@link ToolError} carrying the argv, exit code and stderr, so callers can tell
 * "already gone" from real failures.
 */
import { CommandError, runCommand } from '../../lib/command.ts';

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
export async function runTool(
  cmd: string,
  args: string[],
  options: { input?: string; signal?: AbortSignal } = {},
): Promise<string> {
  try {
    return await runCommand(cmd, args, {
      input: options.input ?? '',
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  } catch (e: unknown) {
    if (e instanceof CommandError) throw new ToolError(e.argv, e.exitCode, e.stderr, { cause: e });
    throw e;
  }
}

/** True when `e` is a ToolError whose stderr matches `pattern` (e.g. "Cannot find device"). */
export function toolFailedWith(e: unknown, pattern: RegExp): boolean {
  return e instanceof ToolError && pattern.test(e.stderr);
}

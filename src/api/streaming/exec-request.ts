/**
 * The query of an exec/attach request (`command`, `container`, `stdin`, `stdout`, `stderr`,
 * `tty`) and the contract between the streaming layer and whoever starts the process.
 */
import type { ExecOptions, StreamSession } from '../../runtime/container-runtime.ts';
import type { Logger } from '../../lib/log.ts';

/** What an exec/attach request asks for. */
export interface ExecRequest {
  command: string[];
  container: string | undefined;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE';
}

/** Parses an exec/attach URL (path plus query). With a tty, stderr is merged into stdout. */
export function parseExecRequest(url: string): ExecRequest {
  const q = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const tty = flag(q, 'tty');
  return {
    command: q.getAll('command'),
    container: q.get('container') ?? undefined,
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr') && !tty,
    tty,
  };
}

/** What the exec/attach handlers need from the caller. */
export interface ExecHandlerOptions {
  /** Starts the process (or attaches) once the connection is upgraded. */
  start: (options: ExecOptions) => Promise<StreamSession>;
  /** Attach reports Success whatever the exit code, and never kills the process on detach. */
  isAttach: boolean;
  log: Logger;
  /** The parsed request; parsed from `req.url` when absent. */
  request?: ExecRequest;
}

/** The runtime options for a request. */
export function execOptionsOf(request: ExecRequest): ExecOptions {
  return { stdin: request.stdin, tty: request.tty, stderr: request.stderr };
}

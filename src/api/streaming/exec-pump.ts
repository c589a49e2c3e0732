/**
 * Drives one exec/attach session independently of the wire protocol: copies the process's
 * output to the client with backpressure, and settles once the process exited and its output
 * was drained (or a short grace period after the exit passed).
 */
import type { StreamSession } from '../../runtime/container-runtime.ts';
import type { ExecOutcome } from './exec-status.ts';

/** How long output may keep flowing after the process exited (children holding the pipe). */
const drainGraceMs = 2000;

/** Copies a readable to `send`, one chunk at a time; resolves when the readable ended. */
export function pumpReadable(
  stream: NodeJS.ReadableStream,
  send: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve();
    };
    stream.on('data', (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (buf.length === 0) return;
      stream.pause();
      send(buf).then(
        () => stream.resume(),
        () => stream.resume(),
      );
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

/** Where the pump sends output. */
export interface ExecSinks {
  stdout: (chunk: Buffer) => Promise<void>;
  stderr: (chunk: Buffer) => Promise<void>;
}

/** Runs the output side of a session; resolves with how the process ended. */
export async function runExecOutput(
  session: StreamSession,
  sinks: ExecSinks,
): Promise<ExecOutcome> {
  const outputs = [pumpReadable(session.stdout, sinks.stdout)];
  if (session.stderr) outputs.push(pumpReadable(session.stderr, sinks.stderr));
  let outcome: ExecOutcome;
  try {
    outcome = { kind: 'exited', exitCode: await session.exited };
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    outcome = { kind: 'failed', message: `error executing command in container: ${message}` };
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(outputs),
    new Promise<void>((r) => {
      timer = setTimeout(r, drainGraceMs);
    }),
  ]);
  clearTimeout(timer);
  return outcome;
}

/** Parses back-to-back resize JSON messages (`{"Width":80,"Height":24}`), calling `resize`. */
export class ResizeDecoder {
  private pending = '';

  constructor(private readonly resize: (cols: number, rows: number) => void) {}

  /** Feeds bytes from the resize channel or stream. */
  push(chunk: Buffer): void {
    this.pending += chunk.toString('utf8');
    for (;;) {
      const start = this.pending.indexOf('{');
      if (start < 0) {
        this.pending = '';
        return;
      }
      const end = this.pending.indexOf('}', start);
      if (end < 0) {
        this.pending = this.pending.slice(start);
        return;
      }
      const text = this.pending.slice(start, end + 1);
      this.pending = this.pending.slice(end + 1);
      try {
        const size = JSON.parse(text) as { Width?: unknown; Height?: unknown };
        // A 0x0 size (no real terminal) is dropped, as the kubelet does.
        if (typeof size.Width === 'number' && typeof size.Height === 'number')
          if (size.Width >= 1 && size.Height >= 1) this.resize(size.Width, size.Height);
      } catch {
        // A malformed message is skipped, as upstream does.
      }
    }
  }
}

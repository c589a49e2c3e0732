/**
 * exec/attach over SPDY/3.1: the client opens one stream per `streamtype` (error, stdin, stdout,
 * stderr, resize); once the expected set is there the process starts, output goes out as DATA,
 * stdin's FIN is EOF, resizes are back-to-back JSON, and the status goes on the error stream
 * before everything is closed.
 */
import type { StreamSession } from '../../runtime/container-runtime.ts';
import { execOptionsOf, type ExecHandlerOptions, type ExecRequest } from './exec-request.ts';
import { encodeExecStatus, type ExecOutcome } from './exec-status.ts';
import { ResizeDecoder, runExecOutput } from './exec-pump.ts';
import type { SpdySession } from './spdy/spdy-session.ts';
import type { SpdyStream } from './spdy/spdy-stream.ts';

/** How long to wait for the client to open every expected stream (upstream uses 30 s too). */
const streamSetupTimeoutMs = 30_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** The stream types a request implies for a protocol version. */
export function expectedExecStreams(request: ExecRequest, protocolVersion: number): StreamType[] {
  const types: StreamType[] = ['error'];
  if (request.stdin) types.push('stdin');
  if (request.stdout) types.push('stdout');
  if (request.stderr && !request.tty) types.push('stderr');
  if (request.tty && protocolVersion >= 3) types.push('resize');
  return types;
}

/** Collects exec streams for one SPDY session and runs the process once they are all there. */
export class SpdyExecServer {
  private readonly streams = new Map<StreamType, SpdyStream>();
  private readonly expected: StreamType[];
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private process: StreamSession | undefined;

  private session: SpdySession | undefined;

  constructor(
    private readonly request: ExecRequest,
    private readonly protocolVersion: number,
    private readonly options: ExecHandlerOptions,
  ) {
    this.expected = expectedExecStreams(request, protocolVersion);
    this.timer = setTimeout(() => {
      this.options.log.info('Exec streams were not all opened in time');
      this.session?.close();
    }, streamSetupTimeoutMs);
  }

  /** Binds the session (created with this server's callbacks). */
  attach(session: SpdySession): void {
    this.session = session;
  }

  /** The session's `onStream` callback. */
  readonly onStream = (stream: SpdyStream): void => {
    const type = stream.header('streamtype') as StreamType | undefined;
    if (!type || !this.expected.includes(type) || this.streams.has(type) || this.started) {
      stream.resume();
      return;
    }
    this.streams.set(type, stream);
    if (type === 'error' || type === 'stdout' || type === 'stderr') stream.resume();
    if (this.expected.every((t) => this.streams.has(t))) {
      clearTimeout(this.timer);
      this.started = true;
      this.run().catch((err: unknown) => {
        this.options.log.warn('Exec over SPDY failed', { err });
        this.session?.close();
      });
    }
  };

  /** Called when the session ends (client gone): an exec is killed, an attach detached. */
  readonly onClose = (): void => {
    clearTimeout(this.timer);
    if (this.process && !this.options.isAttach && !this.finished) this.process.kill();
  };

  private finished = false;

  private async run(): Promise<void> {
    const get = (t: StreamType): SpdyStream | undefined => this.streams.get(t);
    let outcome: ExecOutcome;
    try {
      const proc = await this.options.start(execOptionsOf(this.request));
      this.process = proc;
      if (this.session?.isClosed) {
        if (!this.options.isAttach) proc.kill();
        return;
      }
      const stdin = get('stdin');
      if (stdin && proc.stdin) {
        proc.stdin.on('error', (err: Error) => this.options.log.debug('Exec stdin error', { err }));
        stdin.pipe(proc.stdin);
      } else stdin?.resume();
      const resize = get('resize');
      if (resize) {
        const decoder = new ResizeDecoder((c, r) => proc.resize(c, r));
        resize.on('data', (chunk: Buffer) => decoder.push(chunk));
      }
      const write = (s: SpdyStream | undefined) => (chunk: Buffer) =>
        new Promise<void>((resolve) => {
          if (!s || s.destroyed || s.writableEnded) resolve();
          else s.write(chunk, () => resolve());
        });
      const stdout = get('stdout');
      outcome = await runExecOutput(proc, {
        stdout: write(stdout),
        stderr: write(get('stderr') ?? (this.request.tty ? stdout : undefined)),
      });
    } catch (err: unknown) {
      outcome = { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
    this.finished = true;
    const status = encodeExecStatus(
      outcome,
      this.request.command,
      this.options.isAttach,
      this.protocolVersion,
    );
    const errorStream = get('error');
    if (errorStream && status.length) errorStream.write(status);
    const ended = [...this.streams.values()].map(
      (s) => new Promise<void>((resolve) => (s.writableEnded ? resolve() : s.end(() => resolve()))),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ended), new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    this.session?.closeAfterFlush();
  }
}

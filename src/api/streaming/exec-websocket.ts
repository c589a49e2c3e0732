/**
 * exec/attach over the WebSocket channel protocol: stdin on channel 0, output on 1 and 2, the
 * final status on 3, terminal resizes on 4, and (v5) the close signal on 255; the socket is
 * closed normally right after the status.
 */
import type { StreamSession } from '../../runtime/container-runtime.ts';
import { Channel, type ChannelSocket } from './channel-protocol.ts';
import { execOptionsOf, type ExecHandlerOptions, type ExecRequest } from './exec-request.ts';
import { encodeExecStatus, type ExecOutcome } from './exec-status.ts';
import { ResizeDecoder, runExecOutput } from './exec-pump.ts';

/** Serves one exec/attach session on an accepted channel-protocol WebSocket. */
export async function serveExecWebSocket(
  ch: ChannelSocket,
  request: ExecRequest,
  options: ExecHandlerOptions,
): Promise<void> {
  let session: StreamSession | undefined;
  let finished = false;
  const early: [number, Buffer][] = [];
  let stdinEnded = false;
  const resize = new ResizeDecoder((cols, rows) => session?.resize(cols, rows));

  const deliver = (channel: number, payload: Buffer): void => {
    if (!session) {
      early.push([channel, payload]);
      return;
    }
    const stdin = session.stdin;
    if (channel === Channel.stdin) {
      if (stdin && !stdinEnded && payload.length) stdin.write(payload);
    } else if (channel === Channel.resize) resize.push(payload);
    else if (channel === Channel.close && payload[0] === Channel.stdin) {
      if (stdin && !stdinEnded) {
        stdinEnded = true;
        stdin.end();
      }
    }
  };
  ch.onMessage(deliver);
  ch.ws.on('error', (err: Error) => options.log.debug('Exec WebSocket error', { err }));
  ch.ws.on('close', () => {
    if (finished) return;
    finished = true;
    if (session?.stdin && !stdinEnded) {
      stdinEnded = true;
      session.stdin.end();
    }
    if (session && !options.isAttach) session.kill();
  });

  let outcome: ExecOutcome;
  try {
    session = await options.start(execOptionsOf(request));
    session.stdin?.on('error', (err: Error) => options.log.debug('Exec stdin error', { err }));
    for (const [c, p] of early.splice(0)) deliver(c, p);
    const out = request.tty ? Channel.stdout : Channel.stderr;
    outcome = await runExecOutput(session, {
      stdout: (b) => ch.send(Channel.stdout, b),
      stderr: (b) => ch.send(out, b),
    });
  } catch (err: unknown) {
    outcome = { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
  if (finished) return;
  finished = true;
  const status = encodeExecStatus(outcome, request.command, options.isAttach, ch.protocol.version);
  if (status.length) await ch.send(Channel.error, status);
  ch.close();
}

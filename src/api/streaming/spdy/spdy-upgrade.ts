/**
 * The two ways a SPDY/3.1 session starts: a plain HTTP upgrade (`Upgrade: SPDY/3.1`, protocol
 * chosen from `X-Stream-Protocol-Version`), and the WebSocket tunnel
 * (`SPDY/3.1+portforward.k8s.io`) where binary messages form one contiguous byte stream.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SpdySession, type SpdySessionOptions } from './spdy-session.ts';

/** The WebSocket subprotocol of the SPDY tunnel used by kubectl 1.31+ for port-forward. */
export const spdyTunnelProtocol = 'SPDY/3.1+portforward.k8s.io';

/** Every `X-Stream-Protocol-Version` the client offers, in its order. */
export function offeredStreamProtocols(req: http.IncomingMessage): string[] {
  return (req.headersDistinct['x-stream-protocol-version'] ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Bytes a session may queue on its socket before it waits for the socket to drain. */
const tunnelQueueBytes = 4 << 20;

/** Writes the 101 for a plain SPDY upgrade and runs a session on the raw socket. */
export function acceptSpdyUpgrade(
  socket: Duplex,
  head: Buffer,
  protocol: string | undefined,
  options: SpdySessionOptions,
): SpdySession {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    ...(protocol === undefined ? [] : [`X-Stream-Protocol-Version: ${protocol}`]),
    `Date: ${new Date().toUTCString()}`,
    '',
    '',
  ];
  socket.write(lines.join('\r\n'));
  return runSessionOnSocket(socket, head, options);
}

/** Runs a SPDY session directly on a byte socket (already past any handshake). */
export function runSessionOnSocket(
  socket: Duplex,
  head: Buffer,
  options: SpdySessionOptions,
): SpdySession {
  const session = new SpdySession(
    {
      write: (data, done) => {
        if (socket.destroyed || socket.writableEnded) {
          done();
          return;
        }
        // One writev for a frame's header and payload chunks.
        socket.cork();
        for (const part of data) socket.write(part);
        socket.uncork();
        if (socket.writableLength <= tunnelQueueBytes) done();
        else {
          const finish = (): void => {
            socket.off('drain', finish);
            socket.off('close', finish);
            done();
          };
          socket.on('drain', finish);
          socket.on('close', finish);
        }
      },
      close: () => {
        if (!socket.destroyed) socket.end(() => socket.destroy());
      },
    },
    options,
  );
  socket.on('error', (err: Error) => {
    options.log.debug('SPDY socket error', { err });
    session.close();
  });
  socket.on('close', () => session.close());
  socket.on('end', () => session.close());
  socket.on('data', (chunk: Buffer) => session.receive(chunk));
  if (head.length) session.receive(head);
  return session;
}

/** Runs a SPDY session over an accepted WebSocket (the tunnel form). */
export function runSessionOnWebSocket(ws: WebSocket, options: SpdySessionOptions): SpdySession {
  const session = new SpdySession(
    {
      write: (data, done) => {
        if (ws.readyState !== ws.OPEN) {
          done();
          return;
        }
        // The tunnel is a byte stream, so a frame's header and payload chunks go as messages
        // of their own (not copied). Take more at once while little is queued: waiting for
        // each write to be flushed would leave the socket idle between frames.
        let length = 0;
        for (const part of data) length += part.length;
        const last = data.length - 1;
        if (ws.bufferedAmount + length <= tunnelQueueBytes) {
          for (const part of data) ws.send(part, { binary: true });
          done();
        } else
          data.forEach((part, i) =>
            ws.send(part, { binary: true }, i === last ? () => done() : undefined),
          );
      },
      close: () => {
        if (ws.readyState === ws.OPEN) ws.close(1000);
        else if (ws.readyState === ws.CONNECTING) ws.terminate();
      },
    },
    options,
  );
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    if (!isBinary) return;
    session.receive(toBuffer(data));
  });
  ws.on('error', (err: Error) => {
    options.log.debug('SPDY tunnel error', { err });
    session.close();
  });
  ws.on('close', () => session.close());
  return session;
}

/** Normalises the payload shapes `ws` may hand out. */
export function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Hand-rolled clients for tests: a raw HTTP upgrade (for plain SPDY) and a minimal WebSocket
 * client that accepts any subprotocol name (the `ws` client refuses `SPDY/3.1+portforward.k8s.io`).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** An upgraded raw connection: the response head and the socket after it. */
export interface RawUpgrade {
  status: number;
  headers: string;
  socket: net.Socket;
  /** Bytes that followed the response head. */
  rest: Buffer;
  /** The response body for a non-101 answer (read to the end). */
  body: () => Promise<string>;
}

/** Sends a request with the given headers and resolves once the response head arrived. */
export function rawUpgrade(port: number, request: string): Promise<RawUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const headers = buf.subarray(0, end).toString();
      const rest = buf.subarray(end + 4);
      const status = Number(headers.split(' ')[1]);
      resolve({
        status,
        headers,
        socket,
        rest,
        body: () =>
          new Promise((r) => {
            const parts: Buffer[] = [rest];
            socket.on('data', (d: Buffer) => parts.push(d));
            socket.on('end', () => r(Buffer.concat(parts).toString()));
            socket.resume();
          }),
      });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** A minimal WebSocket client over a raw socket. */
export interface RawWebSocket {
  status: number;
  headers: string;
  /** Sends one binary message. */
  send(data: Buffer): void;
  onMessage(handler: (data: Buffer, opcode: number) => void): void;
  /** Resolves with the close code when the server closes. */
  closed: Promise<number>;
  socket: net.Socket;
}

/** Opens a WebSocket with an arbitrary `Sec-WebSocket-Protocol` value. */
export async function rawWebSocket(
  port: number,
  path: string,
  protocol: string,
): Promise<RawWebSocket> {
  const key = randomBytes(16).toString('base64');
  const up = await rawUpgrade(
    port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
  const handlers: ((d: Buffer, op: number) => void)[] = [];
  let pending = up.rest;
  let resolveClosed: (code: number) => void = () => undefined;
  const closed = new Promise<number>((r) => (resolveClosed = r));
  const parse = (): void => {
    for (;;) {
      if (pending.length < 2) return;
      const op = (pending[0] ?? 0) & 0x0f;
      let len = (pending[1] ?? 0) & 0x7f;
      let off = 2;
      if (len === 126) {
        if (pending.length < 4) return;
        len = pending.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (pending.length < 10) return;
        len = Number(pending.readBigUInt64BE(2));
        off = 10;
      }
      if (pending.length < off + len) return;
      const payload = pending.subarray(off, off + len);
      pending = pending.subarray(off + len);
      if (op === 8) resolveClosed(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
      else for (const h of handlers) h(payload, op);
    }
  };
  up.socket.on('data', (c: Buffer) => {
    pending = Buffer.concat([pending, c]);
    parse();
  });
  up.socket.on('close', () => resolveClosed(1006));
  up.socket.on('error', () => undefined);
  up.socket.resume();
  const send = (data: Buffer): void => {
    const mask = randomBytes(4);
    const head =
      data.length < 126
        ? Buffer.from([0x82, 0x80 | data.length])
        : data.length < 65536
          ? Buffer.from([0x82, 0x80 | 126, data.length >> 8, data.length & 0xff])
          : (() => {
              const h = Buffer.alloc(10);
              h[0] = 0x82;
              h[1] = 0x80 | 127;
              h.writeBigUInt64BE(BigInt(data.length), 2);
              return h;
            })();
    const masked = Buffer.from(data);
    for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] ?? 0) ^ (mask[i & 3] ?? 0);
    up.socket.write(Buffer.concat([head, mask, masked]));
  };
  setImmediate(parse);
  return {
    status: up.status,
    headers: up.headers,
    send,
    onMessage: (h) => handlers.push(h),
    closed,
    socket: up.socket,
  };
}

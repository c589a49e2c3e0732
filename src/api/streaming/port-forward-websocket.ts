/**
 * port-forward over the WebSocket channel protocol (used by @kubernetes/client-node): for the
 * i-th `ports=` value, channel 2i carries data both ways and 2i+1 errors; each channel first
 * carries the port as uint16 little-endian. One pod connection per port per WebSocket.
 */
import type { Duplex } from 'node:stream';
import type { ChannelSocket } from './channel-protocol.ts';
import { pumpReadable } from './exec-pump.ts';
import { dialErrorMessage, type PortForwardHandlerOptions } from './port-forward-request.ts';

/** Serves a channel-protocol port-forward on an accepted WebSocket for `ports`. */
export async function servePortForwardWebSocket(
  ch: ChannelSocket,
  ports: number[],
  options: PortForwardHandlerOptions,
): Promise<void> {
  const conns: (Duplex | undefined)[] = ports.map(() => undefined);
  const early: Buffer[][] = ports.map(() => []);
  let closed = false;
  ch.ws.on('error', (err: Error) => options.log.debug('Port-forward WebSocket error', { err }));
  ch.ws.on('close', () => {
    closed = true;
    for (const c of conns) c?.destroy();
  });
  ch.onMessage((channel, payload) => {
    const index = channel >> 1;
    if (channel % 2 !== 0 || index >= ports.length || payload.length === 0) return;
    const conn = conns[index];
    if (conn) conn.write(payload);
    else early[index]?.push(payload);
  });
  for (let i = 0; i < ports.length; i++) {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(ports[i] ?? 0, 0);
    await ch.send(2 * i, prefix);
    await ch.send(2 * i + 1, prefix);
  }
  await Promise.all(
    ports.map(async (port, i) => {
      let conn: Duplex;
      try {
        conn = await options.dial(port);
      } catch (err: unknown) {
        await ch.send(2 * i + 1, Buffer.from(dialErrorMessage(options, port, err)));
        return;
      }
      if (closed) {
        conn.destroy();
        return;
      }
      conns[i] = conn;
      conn.on('error', (err: Error) => options.log.debug('Port-forward connection error', { err }));
      for (const b of early[i]?.splice(0) ?? []) conn.write(b);
      await pumpReadable(conn, (b) => ch.send(2 * i, b));
    }),
  );
  ch.close();
}

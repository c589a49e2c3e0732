/** A local TCP echo server and a dial function for port-forward tests. */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** Starts an echo server; `dial(80)` reaches it, any other port is refused. */
export async function echoTarget(): Promise<{
  dial: (port: number) => Promise<Duplex>;
  close: () => Promise<void>;
}> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const echoPort = (server.address() as AddressInfo).port;
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const refusedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const dial = (port: number): Promise<Duplex> =>
    new Promise((resolve, reject) => {
      const s = net.connect(port === 80 ? echoPort : refusedPort, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  return {
    dial,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

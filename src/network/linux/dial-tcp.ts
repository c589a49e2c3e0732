/** A TCP connect that resolves once connected and honours an AbortSignal. */
import { connect, type Socket } from 'node:net';

/**
 * Connects to `host:port`. Rejects with node's own errors (`ECONNREFUSED`, …), or with the
 * signal's reason when aborted before the connection is up.
 */
export function dialTcp(host: string, port: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const socket = connect({ host, port });
    const onAbort = (): void => {
      socket.destroy();
      reject(signal!.reason as Error);
    };
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      done();
      resolve(socket);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * port-forward over SPDY (plain upgrade or WebSocket tunnel): kubectl opens an `error` and a
 * `data` stream per local connection, paired by `requestid`; the data stream is joined to a
 * fresh connection to the pod's `port`, and failures are reported as text on the error stream.
 */
import type { Duplex } from 'node:stream';
import type { SpdyStream } from './spdy/spdy-stream.ts';
import {
  dialErrorMessage,
  isValidPort,
  type PortForwardHandlerOptions,
} from './port-forward-request.ts';

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** Returns the `onStream` callback that serves port-forward streams of one session. */
export function portForwardStreamHandler(
  options: PortForwardHandlerOptions,
): (stream: SpdyStream) => void {
  const pairs = new Map<string, Pair>();
  return (stream) => {
    const type = stream.header('streamtype');
    const requestId =
      stream.header('requestid') ?? String(type === 'data' ? stream.id - 2 : stream.id);
    if (type !== 'error' && type !== 'data') {
      options.log.debug('Unknown port-forward stream type', { type });
      stream.resume();
      stream.end();
      return;
    }
    const pair = pairs.get(requestId) ?? {};
    pairs.set(requestId, pair);
    if (type === 'error') {
      pair.error = stream;
      stream.resume(); // kubectl half-closes it at once; nothing to read.
    } else pair.data = stream;
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      forward(pair.error, pair.data, options);
    }
  };
}

function forward(
  errorStream: SpdyStream,
  data: SpdyStream,
  options: PortForwardHandlerOptions,
): void {
  const port = Number(data.header('port'));
  const fail = (message: string): void => {
    options.log.info('Port-forward failed', { pod: options.podName, port, err: message });
    errorStream.end(message);
    data.end();
  };
  if (!isValidPort(port)) {
    fail(`invalid port ${JSON.stringify(data.header('port') ?? '')}`);
    return;
  }
  data.pause();
  options.dial(port).then(
    (conn) => join(conn, errorStream, data, options),
    (err: unknown) => fail(dialErrorMessage(options, port, err)),
  );
}

function join(
  conn: Duplex,
  errorStream: SpdyStream,
  data: SpdyStream,
  options: PortForwardHandlerOptions,
): void {
  if (data.destroyed) {
    conn.destroy();
    return;
  }
  let podDone = false;
  const finish = (): void => {
    if (!errorStream.writableEnded) errorStream.end();
  };
  conn.on('error', (err: Error) => {
    options.log.debug('Port-forward connection error', { pod: options.podName, err });
    if (!data.writableEnded) data.end();
    finish();
  });
  conn.on('close', () => {
    if (!podDone) {
      podDone = true;
      if (!data.writableEnded) data.end();
      finish();
    }
  });
  data.on('close', () => {
    if (!conn.destroyed && !podDone) conn.destroy();
  });
  data.pipe(conn); // the client's FIN ends our write side towards the pod
  conn.pipe(data); // the pod's end sends FIN on the data stream
  data.resume();
}

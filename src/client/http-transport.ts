/** A {@link Transport} over HTTP(S) with keep-alive, for the CLI and out-of-process clients. */
import http from 'node:http';
import https from 'node:https';
import type { Transport } from './transport.ts';

/** Options for {@link httpTransport}. */
export interface HttpTransportOptions {
  /** `http://127.0.0.1:6443` */
  server: string;
  bearerToken?: string;
  /** Accept any server certificate (development clusters). */
  insecureSkipTLSVerify?: boolean;
}

export function httpTransport(options: HttpTransportOptions): Transport {
  const base = new URL(options.server);
  const isHttps = base.protocol === 'https:';
  const agent = isHttps
    ? new https.Agent({ keepAlive: true, rejectUnauthorized: !options.insecureSkipTLSVerify })
    : new http.Agent({ keepAlive: true });
  const send: Transport = (req) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers };
      if (options.bearerToken) headers['authorization'] = `Bearer ${options.bearerToken}`;
      // Node does not chunk DELETE bodies, so say how long the body is.
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const r = (isHttps ? https : http).request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          method: req.method,
          path: req.path,
          headers,
          agent,
          signal: req.signal,
        },
        (res) => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({ status: res.statusCode ?? 0, headers: out, body: res });
        },
      );
      r.on('error', (err: NodeJS.ErrnoException) =>
        reject(r.reusedSocket && err.code === 'ECONNRESET' ? new StaleConnection(err) : err),
      );
      if (req.body !== undefined) r.end(req.body);
      else r.end();
    });
  // A kept-alive connection the server closed (its idle timeout) just as it was reused fails
  // before any response: the request never reached the server, so it is sent once more on a
  // fresh connection, as Node's documentation advises and Go's transport does.
  return (req) =>
    send(req).catch((err: unknown) => {
      if (!(err instanceof StaleConnection)) throw err;
      return send(req).catch((again: unknown) => {
        throw again instanceof StaleConnection ? again.cause : again;
      });
    });
}

/** A request failed on a reused kept-alive connection before any response. */
class StaleConnection extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

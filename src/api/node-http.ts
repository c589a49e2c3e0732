/**
 * Puts an {@link ApiHandler} behind Node's HTTP server: builds the ApiRequest (body read whole,
 * an AbortSignal that fires when the client goes away), writes the ApiResponse (streamed bodies
 * get their headers flushed at once, as kubectl's watchers need), and passes protocol upgrades
 * (exec, attach, port-forward) to `onUpgrade`.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/log.ts';
import type { ApiHandler, ApiRequest, ApiResponse } from './http-types.ts';
import { requestEnded } from '../lib/request-ended.ts';

/** Largest request body accepted (kube-apiserver allows 3 MiB objects; leave room). */
export const maxBodyBytes = 8 * 1024 * 1024;

/** Handles an HTTP upgrade request; the handler owns the socket. */
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  log: Logger;
  onUpgrade?: UpgradeHandler;
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/** Converts a Node request into an ApiRequest. */
export async function toApiRequest(
  req: http.IncomingMessage,
  signal: AbortSignal,
): Promise<ApiRequest> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers))
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
  return {
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    headers,
    ...(body ? { body } : {}),
    signal,
  };
}

async function writeResponse(res: http.ServerResponse, out: ApiResponse): Promise<void> {
  const body = out.body;
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    const headers: Record<string, string | number> = { ...out.headers };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(out.status, headers);
    res.end(body);
    return;
  }
  const headers = { ...out.headers };
  delete headers['transfer-encoding'];
  res.writeHead(out.status, headers);
  res.flushHeaders();
  for await (const chunk of body) {
    if (res.destroyed) break;
    if (!res.write(chunk)) {
      await new Promise<void>((r) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          r();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

/** Creates the HTTP server (not yet listening). */
export function createHttpServer(handler: ApiHandler, options: HttpServerOptions): http.Server {
  const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const ac = new AbortController();
    res.on('close', () => ac.abort(requestEnded));
    toApiRequest(req, ac.signal)
      .then((apiReq) => handler(apiReq))
      .then((out) => writeResponse(res, out))
      .catch((err: unknown) => {
        options.log.warn('Failed to serve a request', { method: req.method, url: req.url, err });
        if (!res.headersSent) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message: String(err),
              reason: 'BadRequest',
              code: 400,
            }),
          );
        } else res.destroy();
      });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  if (options.onUpgrade) server.on('upgrade', options.onUpgrade);
  return server;
}

/**
 * Connects the typed client to the API handler without a socket: the daemon's own components
 * (kubelet, controllers) and the fast test tier speak to the API server through this.
 */
import type { ApiHandler } from '../api/http-types.ts';
import type { Transport } from '../client/transport.ts';
import { requestEnded } from '../lib/request-ended.ts';

async function* toChunks(
  body: string | Buffer | AsyncIterable<string | Buffer> | undefined,
): AsyncGenerator<Uint8Array> {
  if (body === undefined) return;
  if (typeof body === 'string') {
    yield Buffer.from(body);
    return;
  }
  if (Buffer.isBuffer(body)) {
    yield body;
    return;
  }
  for await (const c of body) yield typeof c === 'string' ? Buffer.from(c) : c;
}

/** A Transport that calls `handler` in-process. */
export function inProcessTransport(handler: ApiHandler): Transport {
  return async (req) => {
    const q = req.path.indexOf('?');
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    const res = await handler({
      method: req.method,
      path: q < 0 ? req.path : req.path.slice(0, q),
      query: new URLSearchParams(q < 0 ? '' : req.path.slice(q + 1)),
      headers,
      ...(req.body !== undefined ? { body: Buffer.from(req.body) } : {}),
      signal: ac.signal,
    });
    const body = toChunks(res.body);
    return {
      status: res.status,
      headers: res.headers,
      body: (async function* () {
        try {
          yield* body;
        } finally {
          ac.abort(requestEnded);
          req.signal?.removeEventListener('abort', onAbort);
        }
      })(),
    };
  };
}

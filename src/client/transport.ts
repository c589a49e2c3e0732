/**
 * The client's only view of the server: a fetch-like function. `httpTransport` speaks HTTP to a
 * daemon; the daemon and the tests plug the API handler in-process instead (`daemon/`).
 */

/** A request as the client sends it. `path` includes the query string. */
export interface TransportRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/** A response; `body` is consumed once. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
}

export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** Reads a whole body into a string. */
export async function readBody(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

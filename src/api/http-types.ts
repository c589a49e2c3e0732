/**
 * The API server's own request/response shapes: small, fast, and the same in production (the
 * Node HTTP adapter fills them) and in tests (which call the handler in-process).
 */

/** An incoming API request. Header names are lower case. */
export interface ApiRequest {
  method: string;
  /** Path without query, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body?: Buffer;
  /** Aborted when the client goes away (ends watches and log follows). */
  signal: AbortSignal;
}

/** A response body: whole, or streamed (watch, logs follow). */
export type ApiBody = string | Buffer | AsyncIterable<string | Buffer>;

/** An API response. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: ApiBody;
}

/** The API server as a function. */
export type ApiHandler = (request: ApiRequest) => Promise<ApiResponse>;

/** A JSON response. */
export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): ApiResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}

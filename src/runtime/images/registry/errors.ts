import { ImagePullError } from '../../container-runtime.ts';

/** The gRPC status a containerd-backed kubelet would show for a failure. */
export type PullErrorCode = 'NotFound' | 'Unknown' | 'Canceled';

/**
 * A registry failure worded as containerd words it (the inner part, e.g. `…: not found` or
 * `unexpected status from GET request to URL: 500 Internal Server Error`).
 */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly code: PullErrorCode = 'Unknown',
    /** Worth another attempt (5xx, connection reset) or another credential (401/403). */
    readonly kind: 'transient' | 'auth' | 'permanent' = 'permanent',
  ) {
    super(message);
  }
}

/** Maps a fetch failure to containerd's `failed to do request: …` wording. */
export function networkError(method: string, url: string, e: unknown): RegistryError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (e as NodeJS.ErrnoException).code;
  const u = new URL(url);
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  let detail: string;
  if (code === 'ECONNREFUSED')
    detail = `dial tcp ${u.hostname}:${port}: connect: connection refused`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    detail = `dial tcp: lookup ${u.hostname}: no such host`;
  } else detail = cause?.message ?? (e instanceof Error ? e.message : String(e));
  const transient =
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'EAI_AGAIN';
  return new RegistryError(
    `failed to do request: ${verb} ${JSON.stringify(url)}: ${detail}`,
    'Unknown',
    transient ? 'transient' : 'permanent',
  );
}

/** `unexpected status from GET request to URL: 500 Internal Server Error`. */
export function statusError(method: string, url: string, res: Response): RegistryError {
  const kind =
    res.status >= 500 || res.status === 429
      ? 'transient'
      : res.status === 401 || res.status === 403
        ? 'auth'
        : 'permanent';
  return new RegistryError(
    `unexpected status from ${method} request to ${url}: ${String(res.status)} ${res.statusText}`,
    'Unknown',
    kind,
  );
}

/**
 * The final error for the kubelet, e.g. `rpc error: code = NotFound desc = failed to pull and
 * unpack image "R": failed to resolve reference "R": R: not found`.
 */
export function pullError(ref: string, stage: 'resolve' | 'copy', e: unknown): ImagePullError {
  const inner = e instanceof Error ? e.message : String(e);
  const code: PullErrorCode =
    e instanceof RegistryError
      ? e.code
      : (e as { name?: string }).name === 'AbortError'
        ? 'Canceled'
        : 'Unknown';
  const middle = stage === 'resolve' ? `failed to resolve reference ${JSON.stringify(ref)}: ` : '';
  const err = new ImagePullError(
    `rpc error: code = ${code} desc = failed to pull and unpack image ${JSON.stringify(ref)}: ${middle}${inner}`,
  );
  err.cause = e;
  return err;
}

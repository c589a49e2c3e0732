/** List continue tokens: opaque URL-safe base64 of JSON holding the snapshot revision and the last key served. */
import { BadRequestError } from '../k8s/errors.ts';

/** What a continue token carries. `rv` -1 means "continue at the newest revision". */
export interface ContinueState {
  rv: number;
  /** The last key already returned; the next page starts after it. */
  start: string;
}

const version = 'meta.k8s.io/v1';

/** Encodes a continue token. */
export function encodeContinue(state: ContinueState): string {
  const json = JSON.stringify({ v: version, rv: state.rv, start: state.start });
  return Buffer.from(json).toString('base64url');
}

/** Decodes a continue token; throws BadRequestError when it is not one of ours. */
export function decodeContinue(token: string): ContinueState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch (err: unknown) {
    throw new BadRequestError(
      'invalid continue token: continue key is not valid: incorrect encoding',
      {
        causes: [{ message: err instanceof Error ? err.message : String(err) }],
      },
    );
  }
  const o = parsed as { v?: unknown; rv?: unknown; start?: unknown } | null;
  if (
    !o ||
    typeof o !== 'object' ||
    o.v !== version ||
    typeof o.rv !== 'number' ||
    !Number.isSafeInteger(o.rv) ||
    o.rv === 0 ||
    o.rv < -1 ||
    typeof o.start !== 'string'
  ) {
    throw new BadRequestError(
      `invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version ${version})`,
    );
  }
  return { rv: o.rv, start: o.start };
}

/**
 * Service-account tokens for projected volumes. A token source can be given; without one podbay
 * issues its own JWT with the claims of a real bound token (iss, sub
 * `system:serviceaccount:<ns>:<sa>`, aud, exp, iat, nbf, jti and the `kubernetes.io` pod and
 * service-account names and uids), signed HS256 with a random key made once per process. The
 * API server does not authenticate bearer tokens yet, so nothing verifies the signature: such a
 * token only has the right shape for clients that parse it. Tokens are cached per pod and
 * re-issued once 80% of their lifetime has passed, as the kubelet's token manager does, so a
 * re-run of the volume set-up does not rewrite the file every time.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Pod } from '../../k8s/types/pod.ts';

/** The API server's issuer and default audience. */
export const defaultIssuer = 'https://kubernetes.default.svc.cluster.local';

const signingKey = randomBytes(32);

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** The service account a pod runs as. */
export function serviceAccountOf(pod: Pod): string {
  return pod.spec.serviceAccountName || pod.spec.serviceAccount || 'default';
}

/** A JWT for the pod's service account, signed with this process's key. */
export function selfSignedToken(options: {
  pod: Pod;
  serviceAccountUid: string;
  audience?: string | undefined;
  expirationSeconds: number;
  nowMs: number;
}): string {
  const { pod, nowMs } = options;
  const ns = pod.metadata.namespace ?? 'default';
  const sa = serviceAccountOf(pod);
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    aud: [options.audience || defaultIssuer],
    exp: iat + options.expirationSeconds,
    iat,
    iss: defaultIssuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: ns,
      ...(pod.spec.nodeName ? { node: { name: pod.spec.nodeName } } : {}),
      pod: { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
      serviceaccount: { name: sa, uid: options.serviceAccountUid },
    },
    nbf: iat,
    sub: `system:serviceaccount:${ns}:${sa}`,
  };
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${createHmac('sha256', signingKey).update(head).digest('base64url')}`;
}

/** Fetches a token for a pod (audience and lifetime as the projection asks). */
export type TokenFetcher = (
  pod: Pod,
  audience: string | undefined,
  expirationSeconds: number,
) => Promise<string>;

interface Cached {
  token: string;
  issuedMs: number;
  ttlMs: number;
}

/** Per-pod token cache with refresh at 80% of the lifetime. */
export class TokenCache {
  readonly #fetch: TokenFetcher;
  readonly #now: () => number;
  readonly #byPod = new Map<string, Map<string, Cached>>();

  constructor(fetch: TokenFetcher, now: () => number = Date.now) {
    this.#fetch = fetch;
    this.#now = now;
  }

  async get(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<string> {
    const uid = pod.metadata.uid ?? '';
    const key = `${serviceAccountOf(pod)}|${audience ?? ''}|${expirationSeconds}`;
    const now = this.#now();
    const hit = this.#byPod.get(uid)?.get(key);
    if (hit && now - hit.issuedMs < hit.ttlMs * 0.8) return hit.token;
    const token = await this.#fetch(pod, audience, expirationSeconds);
    let m = this.#byPod.get(uid);
    if (!m) this.#byPod.set(uid, (m = new Map<string, Cached>()));
    m.set(key, { token, issuedMs: now, ttlMs: expirationSeconds * 1000 });
    return token;
  }

  forget(podUid: string): void {
    this.#byPod.delete(podUid);
  }
}

import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PullAuth } from '../../container-runtime.ts';
import type { Endpoint } from './endpoints.ts';
import { networkError, RegistryError, statusError } from './errors.ts';
import { MANIFEST_ACCEPT } from './manifests.ts';
import { parseWwwAuthenticate } from './www-authenticate.ts';

/** Bearer tokens by realm, service, scope and user, shared by the clients of one puller. */
export type TokenCache = Map<string, { token: string; expires: number }>;

/** Settings shared by every client a puller makes. */
export interface ClientSettings {
  fetch: typeof fetch;
  tokens: TokenCache;
  /** Attempts per request for transient failures (5xx, 429, connection resets). */
  attempts: number;
  /** First back-off delay; doubles per attempt. */
  backoffMs: number;
  signal?: AbortSignal | undefined;
}

/** A fetched manifest or index, verified against its digest. */
export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  contentType: string;
}

const MAX_MANIFEST = 4 * 1024 * 1024;

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function checkDigest(digest: string): void {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new RegistryError(`unsupported or invalid digest ${JSON.stringify(digest)}`);
  }
}

/** `failed commit on ref "layer-sha256:…": unexpected commit digest …` (containerd's wording). */
function commitError(label: string, digest: string, detail: string): RegistryError {
  return new RegistryError(
    `failed commit on ref "${label}-${digest}": ${detail}: failed precondition`,
  );
}

/** Passes bytes through while checking they hash to `digest` and number `size`. */
export function verifying(digest: string, size: number, label: string): Transform {
  checkDigest(digest);
  const hash = createHash('sha256');
  let count = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      count += chunk.length;
      if (size >= 0 && count > size) {
        cb(commitError(label, digest, `commit failed: unexpected commit size > ${String(size)}`));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const got = `sha256:${hash.digest('hex')}`;
      if (size >= 0 && count !== size) {
        cb(
          commitError(
            label,
            digest,
            `commit failed: unexpected commit size ${String(count)}, expected ${String(size)}`,
          ),
        );
      } else if (got !== digest) {
        cb(commitError(label, digest, `unexpected commit digest ${got}, expected ${digest}`));
      } else cb();
    },
  });
}

/**
 * Talks the OCI distribution API to one endpoint for one repository with one credential:
 * answers 401 challenges (Bearer token from the realm, anonymous or with Basic credentials;
 * or Basic straight to the registry) and retries transient failures with back-off.
 */
export class RegistryClient {
  private authorization: string | undefined;

  constructor(
    readonly endpoint: Endpoint,
    readonly repository: string,
    private readonly cred: PullAuth | undefined,
    private readonly settings: ClientSettings,
  ) {
    if (cred?.registryToken !== undefined) this.authorization = `Bearer ${cred.registryToken}`;
  }

  url(path: string): string {
    return `${this.endpoint.base}/v2/${this.repository}/${path}`;
  }

  private async backoff(attempt: number): Promise<void> {
    await sleep(this.settings.backoffMs * 2 ** (attempt - 1), undefined, {
      ...(this.settings.signal ? { signal: this.settings.signal } : {}),
    });
  }

  /** Sends a request, authorising and retrying as needed; returns any final response. */
  async request(method: string, path: string, headers: Record<string, string>): Promise<Response> {
    const url = this.url(path);
    let authorized = false;
    for (let attempt = 1; ; attempt++) {
      const h: Record<string, string> = { 'User-Agent': 'podbay', ...headers };
      if (this.authorization !== undefined) h['Authorization'] = this.authorization;
      let res: Response;
      try {
        res = await this.settings.fetch(url, {
          method,
          headers: h,
          redirect: 'follow',
          ...(this.settings.signal ? { signal: this.settings.signal } : {}),
        });
      } catch (e) {
        if (this.settings.signal?.aborted === true) throw e;
        const err = networkError(method, url, e);
        if (err.kind === 'transient' && attempt < this.settings.attempts) {
          await this.backoff(attempt);
          continue;
        }
        throw err;
      }
      if (res.status === 401) {
        await res.body?.cancel();
        if (authorized) throw this.denied(method, url, res);
        authorized = true;
        await this.authorize(res, method, url);
        attempt--;
        continue;
      }
      if ((res.status >= 500 || res.status === 429) && attempt < this.settings.attempts) {
        await res.body?.cancel();
        await this.backoff(attempt);
        continue;
      }
      return res;
    }
  }

  private denied(method: string, url: string, res: Response): RegistryError {
    const challenge = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '')[0];
    if (challenge?.params['error'] === 'insufficient_scope') {
      return new RegistryError(
        'pull access denied, repository does not exist or may require authorization: ' +
          'server message: insufficient_scope: authorization failed',
        'Unknown',
        'auth',
      );
    }
    return statusError(method, url, res);
  }

  private async authorize(res: Response, method: string, url: string): Promise<void> {
    const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const user = this.cred?.username;
    const pass = this.cred?.password ?? '';
    if (bearer !== undefined && bearer.params['realm'] !== undefined) {
      this.authorization = `Bearer ${await this.token(bearer.params['realm'], bearer.params['service'])}`;
      return;
    }
    if (basic !== undefined) {
      if (user === undefined || user === '') {
        throw new RegistryError(
          'pull access denied, repository does not exist or may require authorization: ' +
            'authorization failed: no basic auth credentials',
          'Unknown',
          'auth',
        );
      }
      this.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      return;
    }
    throw statusError(method, url, res);
  }

  private async token(realm: string, service: string | undefined): Promise<string> {
    const scope = `repository:${this.repository}:pull`;
    const user = this.cred?.username;
    const key = `${realm}|${service ?? ''}|${scope}|${user ?? ''}`;
    const cached = this.settings.tokens.get(key);
    if (cached !== undefined && cached.expires > Date.now()) return cached.token;
    const u = new URL(realm);
    u.searchParams.set('scope', scope);
    if (service !== undefined) u.searchParams.set('service', service);
    const headers: Record<string, string> = { 'User-Agent': 'podbay' };
    const what = user !== undefined && user !== '' ? 'oauth' : 'anonymous';
    if (what === 'oauth') {
      const basic = Buffer.from(`${user ?? ''}:${this.cred?.password ?? ''}`).toString('base64');
      headers['Authorization'] = `Basic ${basic}`;
    }
    let res: Response;
    try {
      res = await this.settings.fetch(u, {
        headers,
        ...(this.settings.signal ? { signal: this.settings.signal } : {}),
      });
    } catch (e) {
      const err = networkError('GET', u.toString(), e);
      throw new RegistryError(`failed to authorize: failed to fetch ${what} token: ${err.message}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(
        `failed to authorize: failed to fetch ${what} token: unexpected status from GET request to ${u.toString()}: ${String(res.status)} ${res.statusText}`,
        'Unknown',
        'auth',
      );
    }
    const body = (await res.json()) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const token = body.token ?? body.access_token;
    if (token === undefined || token === '') {
      throw new RegistryError(`failed to authorize: failed to fetch ${what} token: empty token`);
    }
    const ttl = Math.max(10, body.expires_in ?? 60);
    this.settings.tokens.set(key, { token, expires: Date.now() + (ttl - 5) * 1000 });
    return token;
  }

  /** HEADs a manifest; returns its digest when the registry says it. */
  async headManifest(reference: string, refName: string): Promise<string | undefined> {
    const res = await this.request('HEAD', `manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
    if (res.status === 404) throw new RegistryError(`${refName}: not found`, 'NotFound');
    // Registries without HEAD support: resolve with GET instead.
    if (res.status === 405 || res.status === 501) return undefined;
    if (!res.ok) throw statusError('HEAD', this.url(`manifests/${reference}`), res);
    const d = res.headers.get('docker-content-digest') ?? undefined;
    return d !== undefined && /^sha256:[a-f0-9]{64}$/.test(d) ? d : undefined;
  }

  /** GETs a manifest or index; verified against `expected` and `Docker-Content-Digest`. */
  async getManifest(
    reference: string,
    refName: string,
    expected?: string,
    expectedSize?: number,
  ): Promise<FetchedManifest> {
    const path = `manifests/${reference}`;
    const res = await this.request('GET', path, { Accept: MANIFEST_ACCEPT });
    if (res.status === 404) throw new RegistryError(`${refName}: not found`, 'NotFound');
    if (!res.ok) {
      await res.body?.cancel();
      throw statusError('GET', this.url(path), res);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_MANIFEST) throw new RegistryError(`manifest ${reference} is too large`);
    const digest = sha256(bytes);
    const header = res.headers.get('docker-content-digest');
    const want = expected ?? (header?.startsWith('sha256:') === true ? header : undefined);
    if (want !== undefined && want !== digest) {
      throw commitError('manifest', want, `unexpected commit digest ${digest}, expected ${want}`);
    }
    if (expectedSize !== undefined && expectedSize !== bytes.length) {
      throw commitError(
        'manifest',
        digest,
        `commit failed: unexpected commit size ${String(bytes.length)}, expected ${String(expectedSize)}`,
      );
    }
    return { bytes, digest, contentType: res.headers.get('content-type') ?? '' };
  }

  /** GETs a blob as a stream that fails unless it matches `digest` and `size`. */
  async getBlob(digest: string, size: number, mediaType: string, label: string): Promise<Readable> {
    checkDigest(digest);
    const path = `blobs/${digest}`;
    const res = await this.request('GET', path, {});
    if (!res.ok || res.body === null) {
      await res.body?.cancel();
      if (res.status === 404) {
        throw new RegistryError(
          `failed to copy: httpReadSeeker: failed open: could not fetch content descriptor ${digest} (${mediaType}) from remote: not found`,
          'NotFound',
        );
      }
      const e = statusError('GET', this.url(path), res);
      throw new RegistryError(
        `failed to copy: httpReadSeeker: failed open: ${e.message}`,
        'Unknown',
        e.kind,
      );
    }
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    const check = verifying(digest, size, label);
    body.on('error', (e) => check.destroy(e));
    return body.pipe(check);
  }

  /** GETs a small blob (an image config) into memory, verified. */
  async getBlobBytes(digest: string, size: number, mediaType: string): Promise<Buffer> {
    if (size > MAX_MANIFEST * 4) throw new RegistryError(`config blob ${digest} is too large`);
    const chunks: Buffer[] = [];
    for await (const c of await this.getBlob(digest, size, mediaType, 'config')) {
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }
}

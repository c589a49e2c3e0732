import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { MEDIA } from '../manifests.ts';

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Builds an uncompressed tar from `name → content` (names ending in `/` are directories). */
export async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const [name, content] of Object.entries(files)) {
    const dir = name.endsWith('/');
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        { name, type: dir ? 'directory' : 'file', mode: dir ? 0o755 : 0o644 },
        dir ? '' : content,
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** One image as pushed: blobs plus its manifest. */
export interface BuiltImage {
  manifest: Buffer;
  manifestDigest: string;
  config: Buffer;
  layers: Array<{ blob: Buffer; digest: string; diffId: string }>;
}

/** Builds an OCI image (gzip layers) for `architecture` from layer tars. */
export function buildImage(layerTars: Buffer[], architecture = 'amd64'): BuiltImage {
  const layers = layerTars.map((t) => {
    const blob = gzipSync(t);
    return { blob, digest: digestOf(blob), diffId: digestOf(t) };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({
        mediaType: MEDIA.ociLayerGzip,
        digest: l.digest,
        size: l.blob.length,
      })),
    }),
  );
  return { manifest, manifestDigest: digestOf(manifest), config, layers };
}

/** An OCI index over `images` (each with its config's architecture). */
export function indexOf(images: Array<{ image: BuiltImage; architecture: string }>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: images.map(({ image, architecture }) => ({
        mediaType: MEDIA.ociManifest,
        digest: image.manifestDigest,
        size: image.manifest.length,
        platform: { os: 'linux', architecture },
      })),
    }),
  );
}

/**
 * A small in-process OCI distribution server (read side) for unit tests: manifests by tag or
 * digest, blobs, optional Bearer-token (own `/token` realm) or Basic auth with one user, and
 * scripted faults (status codes for the next matching requests, corrupted blobs).
 */
export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { bytes: Buffer; type: string }>();
  readonly requests: string[] = [];
  /** Blob digests served with one byte flipped. */
  readonly corrupt = new Set<string>();
  /** Blob digests whose next GET sends half the body, then resets the connection. */
  readonly truncateOnce = new Set<string>();
  /** Next requests whose `METHOD path` matches get this status instead. */
  readonly faults: Array<{ match: RegExp; status: number }> = [];
  auth: 'none' | 'bearer' | 'basic' = 'none';
  /** Repositories anyone may pull under Bearer auth; others need the user. */
  publicPrefix = 'library/';
  user = { name: 'alice', password: 'secret' };
  private server: Server | undefined;
  port = 0;

  get host(): string {
    return `127.0.0.1:${String(this.port)}`;
  }

  putManifest(repo: string, ref: string, bytes: Buffer, type: string): string {
    const d = digestOf(bytes);
    this.manifests.set(`${repo}@${d}`, { bytes, type });
    if (ref !== d) this.manifests.set(`${repo}:${ref}`, { bytes, type });
    return d;
  }

  putImage(repo: string, tag: string, image: BuiltImage): void {
    this.blobs.set(digestOf(image.config), image.config);
    for (const l of image.layers) this.blobs.set(l.digest, l.blob);
    this.putManifest(repo, tag, image.manifest, MEDIA.ociManifest);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private basicOk(req: IncomingMessage): boolean {
    const want = Buffer.from(`${this.user.name}:${this.user.password}`).toString('base64');
    return req.headers.authorization === `Basic ${want}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}`);
    const fault = this.faults.findIndex((f) => f.match.test(`${method} ${url.pathname}`));
    if (fault >= 0) {
      const [f] = this.faults.splice(fault, 1);
      res.writeHead(f?.status ?? 500).end();
      return;
    }
    if (url.pathname === '/token') {
      const scope = url.searchParams.get('scope') ?? '';
      const repo = scope.split(':')[1] ?? '';
      if (req.headers.authorization !== undefined && !this.basicOk(req)) {
        res.writeHead(401).end();
        return;
      }
      const who = req.headers.authorization !== undefined ? 'user' : 'anon';
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: `tok.${who}.${repo}`, expires_in: 300 }));
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m === null) {
      res.writeHead(url.pathname === '/v2/' ? 200 : 404).end('{}');
      return;
    }
    const [, repo = '', kind, ref = ''] = m;
    if (!this.authorized(req, res, repo)) return;
    if (kind === 'manifests') {
      const entry = this.manifests.get(
        ref.startsWith('sha256:') ? `${repo}@${ref}` : `${repo}:${ref}`,
      );
      if (entry === undefined) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
        return;
      }
      res.writeHead(200, {
        'Content-Type': entry.type,
        'Docker-Content-Digest': digestOf(entry.bytes),
        'Content-Length': String(entry.bytes.length),
      });
      res.end(method === 'HEAD' ? undefined : entry.bytes);
      return;
    }
    const blob = this.blobs.get(ref);
    if (blob === undefined) {
      res.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
      return;
    }
    let body = blob;
    if (this.corrupt.has(ref)) {
      body = Buffer.from(blob);
      body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0xff;
    }
    res.writeHead(200, { 'Content-Length': String(body.length) });
    if (method !== 'HEAD' && this.truncateOnce.delete(ref)) {
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(method === 'HEAD' ? undefined : body);
  }

  private authorized(req: IncomingMessage, res: ServerResponse, repo: string): boolean {
    if (this.auth === 'none') return true;
    if (this.auth === 'basic') {
      if (this.basicOk(req)) return true;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fake"' }).end();
      return false;
    }
    const got = req.headers.authorization ?? '';
    const ok =
      got === `Bearer tok.user.${repo}` ||
      (got === `Bearer tok.anon.${repo}` && repo.startsWith(this.publicPrefix));
    if (ok) return true;
    const error = got.startsWith('Bearer ') ? ',error="insufficient_scope"' : '';
    res.writeHead(401, {
      'WWW-Authenticate': `Bearer realm="http://${this.host}/token",service="fake",scope="repository:${repo}:pull"${error}`,
    });
    res.end();
    return false;
  }
}

// A small OCI distribution push client: blobs (HEAD to skip, POST an upload, PUT the bytes with
// ?digest=), manifests by digest, then an index by tag. Basic auth only (what our htpasswd
// registry speaks).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export const digestOf = (b: Buffer): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Where to push: `http://127.0.0.1:PORT`, optional Basic credentials. */
export interface PushTarget {
  url: string;
  auth?: { username: string; password: string };
}

/** A blob to push: bytes in memory or a file path with known digest and size. */
export interface BlobSource {
  digest: string;
  size: number;
  bytes?: Buffer;
  path?: string;
}

function headers(target: PushTarget, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'User-Agent': 'podbay-push', ...extra };
  if (target.auth !== undefined) {
    const b = Buffer.from(`${target.auth.username}:${target.auth.password}`).toString('base64');
    h['Authorization'] = `Basic ${b}`;
  }
  return h;
}

async function expect(res: Response, ok: number[], what: string): Promise<void> {
  if (!ok.includes(res.status)) {
    const body = await res.text().catch(() => '');
    throw new Error(`${what}: ${String(res.status)} ${res.statusText} ${body.slice(0, 300)}`);
  }
}

/** Pushes one blob unless the repository already has it. */
export async function pushBlob(target: PushTarget, repo: string, blob: BlobSource): Promise<void> {
  const head = await fetch(`${target.url}/v2/${repo}/blobs/${blob.digest}`, {
    method: 'HEAD',
    headers: headers(target),
  });
  if (head.status === 200) return;
  const post = await fetch(`${target.url}/v2/${repo}/blobs/uploads/`, {
    method: 'POST',
    headers: headers(target),
  });
  await expect(post, [202], `POST upload to ${repo}`);
  await post.body?.cancel();
  const location = post.headers.get('location');
  if (location === null) throw new Error('upload without Location');
  const put = new URL(location, `${target.url}/`);
  put.searchParams.set('digest', blob.digest);
  const body = blob.bytes ?? (blob.path !== undefined ? await readFile(blob.path) : undefined);
  if (body === undefined) throw new Error(`blob ${blob.digest} has no content`);
  const res = await fetch(put, {
    method: 'PUT',
    headers: headers(target, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
    }),
    body: new Uint8Array(body),
  });
  await expect(res, [201], `PUT blob ${blob.digest}`);
  await res.body?.cancel();
}

/** PUTs a manifest or index under `reference` (a tag or its digest); returns its digest. */
export async function pushManifest(
  target: PushTarget,
  repo: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string> {
  const res = await fetch(`${target.url}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(target, { 'Content-Type': mediaType }),
    body: new Uint8Array(bytes),
  });
  await expect(res, [201], `PUT manifest ${repo}:${reference}`);
  await res.body?.cancel();
  const digest = digestOf(bytes);
  const said = res.headers.get('docker-content-digest');
  if (said !== null && said !== digest) throw new Error(`registry says ${said}, we sent ${digest}`);
  return digest;
}

/** One platform image: config JSON and layer blobs (gzip tars). */
export interface PlatformImage {
  architecture: string;
  config: Buffer;
  layers: BlobSource[];
}

/** The OCI manifest for one platform image. */
export function manifestFor(img: PlatformImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: digestOf(img.config), size: img.config.length },
      layers: img.layers.map((l) => ({
        mediaType: OCI_LAYER_GZIP,
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
}

/**
 * Pushes a multi-platform image: every blob, each platform manifest by digest, then one index
 * under each tag. Returns the index digest (the repo digest a puller records).
 */
export async function pushImage(
  target: PushTarget,
  repo: string,
  tags: string[],
  images: PlatformImage[],
): Promise<string> {
  const entries = [];
  for (const img of images) {
    for (const l of img.layers) await pushBlob(target, repo, l);
    await pushBlob(target, repo, {
      digest: digestOf(img.config),
      size: img.config.length,
      bytes: img.config,
    });
    const manifest = manifestFor(img);
    const digest = await pushManifest(target, repo, digestOf(manifest), manifest, OCI_MANIFEST);
    entries.push({
      mediaType: OCI_MANIFEST,
      digest,
      size: manifest.length,
      platform: { architecture: img.architecture, os: 'linux' },
    });
  }
  const index = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }),
  );
  let digest = '';
  for (const tag of tags) digest = await pushManifest(target, repo, tag, index, OCI_INDEX);
  return digest;
}

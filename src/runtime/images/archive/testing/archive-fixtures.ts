/**
 * Builders of image archives for tests: `docker save` (legacy and Docker ≥ 25 layouts) and OCI
 * image layouts, as in-memory member lists written to a tar or a directory.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export const digestOf = (b: Buffer): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hexOf = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A member: file content, or a symlink target. */
export type Member = Buffer | { symlink: string };

/** Builds an uncompressed tar from `name → content` (names ending in `/` are directories). */
export async function tarOf(
  files: Record<string, string | Buffer | { symlink: string }>,
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const [name, content] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (typeof content === 'object' && !Buffer.isBuffer(content)) {
        pack.entry({ name, type: 'symlink', linkname: content.symlink, mode: 0o777 }, cb);
      } else if (name.endsWith('/')) {
        pack.entry({ name, type: 'directory', mode: 0o755 }, cb);
      } else {
        pack.entry({ name, type: 'file', mode: 0o644 }, content, cb);
      }
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An image: config and layers (uncompressed tars). */
export interface FixtureImage {
  config: Buffer;
  layers: Buffer[];
}

/** A config for `layers` (diff_ids of the uncompressed tars). */
export function fixtureImage(
  layers: Buffer[],
  opts: { architecture?: string; cmd?: string[] } = {},
): FixtureImage {
  const config = Buffer.from(
    JSON.stringify({
      architecture: opts.architecture ?? 'amd64',
      os: 'linux',
      config: { Cmd: opts.cmd ?? ['sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map(digestOf) },
    }),
  );
  return { config, layers };
}

/** Members of a legacy `docker save` (config `<hex>.json`, `<id>/layer.tar` → `../<diffid>.tar`). */
export function dockerSaveLegacy(
  images: Array<{ image: FixtureImage; tags: string[] }>,
): Map<string, Member> {
  const m = new Map<string, Member>();
  const manifest: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, tags } of images) {
    const configName = `${hexOf(image.config)}.json`;
    m.set(configName, image.config);
    const layerPaths: string[] = [];
    let parent = '';
    for (const layer of image.layers) {
      const id = hexOf(Buffer.from(`${parent}${digestOf(layer)}`));
      m.set(`${hexOf(layer)}.tar`, layer);
      m.set(`${id}/VERSION`, Buffer.from('1.0'));
      m.set(`${id}/json`, Buffer.from(JSON.stringify({ id, ...(parent ? { parent } : {}) })));
      m.set(`${id}/layer.tar`, { symlink: `../${hexOf(layer)}.tar` });
      layerPaths.push(`${id}/layer.tar`);
      parent = id;
    }
    manifest.push({ Config: configName, RepoTags: tags, Layers: layerPaths });
    for (const t of tags) {
      const i = t.lastIndexOf(':');
      (repositories[t.slice(0, i)] ??= {})[t.slice(i + 1)] = parent;
    }
  }
  m.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  m.set('repositories', Buffer.from(JSON.stringify(repositories)));
  return m;
}

/** Adds a blob; returns its descriptor fields. */
function blob(m: Map<string, Member>, bytes: Buffer): { digest: string; size: number } {
  m.set(`blobs/sha256/${hexOf(bytes)}`, bytes);
  return { digest: digestOf(bytes), size: bytes.length };
}

const ociManifestType = 'application/vnd.oci.image.manifest.v1+json';
const ociIndexType = 'application/vnd.oci.image.index.v1+json';

/** Adds an image's blobs (layers gzip unless `plain`) and returns its manifest descriptor. */
function ociImage(
  m: Map<string, Member>,
  image: FixtureImage,
  plain = false,
): { mediaType: string; digest: string; size: number } {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifestType,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blob(m, image.config) },
      layers: image.layers.map((l) => ({
        mediaType: `application/vnd.oci.image.layer.v1.tar${plain ? '' : '+gzip'}`,
        ...blob(m, plain ? l : gzipSync(l)),
      })),
    }),
  );
  return { mediaType: ociManifestType, ...blob(m, manifest) };
}

/**
 * Members of an OCI layout: each entry is one image, or a list of per-architecture images
 * (an index blob). `name` goes to `org.opencontainers.image.ref.name` (and, with
 * `containerdName`, to `io.containerd.image.name`).
 */
export function ociLayout(
  entries: Array<{
    name?: string;
    containerdName?: string;
    image: FixtureImage | FixtureImage[];
    plain?: boolean;
  }>,
  extra: { dockerManifest?: boolean } = {},
): Map<string, Member> {
  const m = new Map<string, Member>();
  const descs: unknown[] = [];
  const dockerManifest: unknown[] = [];
  for (const e of entries) {
    let desc;
    if (Array.isArray(e.image)) {
      const manifests = e.image.map((img) => ({
        ...ociImage(m, img, e.plain),
        platform: {
          os: 'linux',
          architecture: JSON.parse(img.config.toString()).architecture as string,
        },
      }));
      const index = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: ociIndexType, manifests }),
      );
      desc = { mediaType: ociIndexType, ...blob(m, index) };
    } else {
      desc = ociImage(m, e.image, e.plain);
      if (extra.dockerManifest === true) {
        dockerManifest.push({
          Config: `blobs/sha256/${hexOf(e.image.config)}`,
          RepoTags: e.containerdName !== undefined ? [e.containerdName] : [],
          Layers: e.image.layers.map(
            (l) => `blobs/sha256/${hexOf(e.plain === true ? l : gzipSync(l))}`,
          ),
        });
      }
    }
    const annotations: Record<string, string> = {};
    if (e.name !== undefined) annotations['org.opencontainers.image.ref.name'] = e.name;
    if (e.containerdName !== undefined) annotations['io.containerd.image.name'] = e.containerdName;
    descs.push({ ...desc, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) });
  }
  m.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  m.set(
    'index.json',
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociIndexType, manifests: descs })),
  );
  if (extra.dockerManifest === true)
    m.set('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
  return m;
}

/** Writes members as a tar file. */
export async function writeTar(path: string, members: Map<string, Member>): Promise<void> {
  await writeFile(path, await tarOf(Object.fromEntries(members)));
}

/** Writes members into a directory (an OCI layout on disk). */
export async function writeDir(dir: string, members: Map<string, Member>): Promise<void> {
  for (const [name, content] of members) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    if (Buffer.isBuffer(content)) await writeFile(path, content);
    else await symlink(content.symlink, path);
  }
}

// Builds the busybox test image (from busybox-static, via test/support/images/busybox-rootfs.ts)
// as an OCI image: one gzip layer, a linux/amd64 config and a second arm64 config over the same
// layer (so tests exercise index platform selection). The layer blob is cached on disk, so a
// second run only re-pushes (or skips) blobs.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { buildBusyboxRootfs } from '../../test/support/images/busybox-rootfs.ts';
import { pushImage, type BlobSource, type PlatformImage, type PushTarget } from './oci-push.ts';

export const BUSYBOX_TAGS = ['1.36', '1.28', 'latest'];

/** The layer blob on disk plus its diff_id. */
export interface CachedLayer extends BlobSource {
  path: string;
  diffId: string;
}

function hashing(onDone: (hex: string, size: number) => void): Transform {
  const h = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      onDone(h.digest('hex'), size);
      cb();
    },
  });
}

/** Gzips a layer tar into `outPath` in one pass, measuring diff_id, digest and size. */
export async function gzipLayer(tarPath: string, outPath: string): Promise<CachedLayer> {
  let diffId = '';
  let digest = '';
  let size = 0;
  const tmp = `${outPath}.${String(process.pid)}.tmp`;
  await pipeline(
    createReadStream(tarPath),
    hashing((hex) => (diffId = `sha256:${hex}`)),
    createGzip({ level: 6 }),
    hashing((hex, n) => {
      digest = `sha256:${hex}`;
      size = n;
    }),
    createWriteStream(tmp),
  );
  await rename(tmp, outPath);
  return { path: outPath, diffId, digest, size };
}

/** The busybox layer, built once per cache dir. */
export async function busyboxLayer(cacheDir?: string): Promise<CachedLayer> {
  const dir = join(cacheDir ?? join(tmpdir(), 'podbay-test-images'), 'busybox-oci');
  const meta = join(dir, 'layer.json');
  const blob = join(dir, 'layer.tar.gz');
  try {
    const cached = JSON.parse(await readFile(meta, 'utf8')) as CachedLayer;
    if ((await stat(blob)).size === cached.size) return { ...cached, path: blob };
  } catch {
    // build it
  }
  await mkdir(dir, { recursive: true });
  const tarPath = await buildBusyboxRootfs(cacheDir !== undefined ? { cacheDir } : {});
  const layer = await gzipLayer(tarPath, blob);
  await writeFile(meta, JSON.stringify(layer));
  return layer;
}

/** Image config JSON for a single-layer busybox image. */
export function busyboxConfig(diffId: string, architecture: string): Buffer {
  const created = '2023-11-14T22:13:20Z';
  return Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      created,
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['sh'],
      },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, created_by: 'podbay: busybox-static rootfs' }],
    }),
  );
}

/** Builds (cached) and pushes busybox under `repo` with `tags`; returns the index digest. */
export async function pushBusybox(
  target: PushTarget,
  repo = 'library/busybox',
  tags: string[] = BUSYBOX_TAGS,
  cacheDir?: string,
): Promise<{ digest: string; layer: CachedLayer }> {
  const layer = await busyboxLayer(cacheDir);
  const images: PlatformImage[] = ['amd64', 'arm64'].map((architecture) => ({
    architecture,
    config: busyboxConfig(layer.diffId, architecture),
    layers: [layer],
  }));
  return { digest: await pushImage(target, repo, tags, images), layer };
}

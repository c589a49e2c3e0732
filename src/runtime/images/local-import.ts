/**
 * Importing a flat rootfs tarball (plain or gzip, detected by its magic bytes) as a one-layer
 * image. The tar is streamed once: every uncompressed byte goes through sha256 (the layer's
 * diff_id) and into GNU tar, which extracts it as root keeping numeric owners, modes and file
 * capabilities. GNU tar
 * refuses members whose names contain `..` (and the import then fails), strips leading `/`, and
 * creates symlinks only after the other members, so nothing lands outside the layer directory.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ImageInfo } from '../container-runtime.ts';
import { normalizeImageRef, parseImageRef } from './image-ref.ts';
import type { LocalImageStore } from './local-image-store.ts';
import { buildImportConfig, type ImportConfigOptions } from './store-image-config.ts';

/** What a rootfs tarball turned into. */
export interface ExtractedLayer {
  /** `sha256:<hex>` of the uncompressed tar bytes. */
  diffId: string;
  /** Number of uncompressed tar bytes. */
  size: number;
}

async function readMagic(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function compressionOf(magic: Buffer): 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz' {
  if (magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
  if (magic.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (magic.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (magic.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

/** Resolves once `stream` can take more data, or has closed/failed. */
function writable(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/**
 * Extracts `tarPath` (plain or gzip) into the existing empty directory `dir` with GNU tar, hashing
 * the uncompressed bytes on the way. Rejects, naming the file, when the input is not a tar (or
 * GNU tar refused a member); the caller removes `dir` then.
 */
export async function extractRootfsTar(
  tarPath: string,
  dir: string,
  signal?: AbortSignal,
): Promise<ExtractedLayer> {
  const compression = compressionOf(await readMagic(tarPath));
  if (compression !== 'none' && compression !== 'gzip') {
    throw new Error(`${tarPath}: ${compression}-compressed tarballs are not supported`);
  }
  const file = createReadStream(tarPath);
  let source: AsyncIterable<Buffer> = file;
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    pipeline(file, gunzip, () => undefined);
    source = gunzip;
  }

  signal?.throwIfAborted();
  // File capabilities (e.g. ping's cap_net_raw) are the one kind of xattr a rootfs needs.
  const argv = ['-x', '--numeric-owner', '--same-permissions', '--xattrs'];
  argv.push('--xattrs-include=security.capability', '-f', '-', '-C', dir);
  const child = spawn('tar', argv, {
    stdio: ['pipe', 'ignore', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let exitCode: number | null | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('error', (e) => {
      spawnError = e;
      resolve();
    });
    child.on('close', (code) => {
      exitCode = code;
      resolve();
    });
  });
  // GNU tar stops reading at the end-of-archive marker; the rest is still hashed.
  let stdinOpen = true;
  child.stdin.on('error', () => (stdinOpen = false));
  child.stdin.on('close', () => (stdinOpen = false));

  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      if (exitCode !== undefined && exitCode !== 0) break;
      if (stdinOpen && !child.stdin.write(chunk)) await writable(child.stdin);
    }
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${tarPath}: cannot read the archive: ${(e as Error).message}`, { cause: e });
  } finally {
    file.destroy();
  }
  child.stdin.end();
  await exited;
  signal?.throwIfAborted();
  if (spawnError) throw new Error(`cannot run tar: ${spawnError.message}`, { cause: spawnError });
  if (exitCode !== 0) {
    throw new Error(
      `${tarPath} is not a valid rootfs tarball (tar exited ${String(exitCode)}): ${stderr.trim()}`,
    );
  }
  if (size === 0) throw new Error(`${tarPath} is empty`);
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Checks a name to import as (`name[:tag]`, lower-case path components, tag `[\w][\w.-]{0,127}`,
 * no digest) and returns it normalised; throws a message saying what is wrong.
 */
export function importName(name: string): string {
  const ref = parseImageRef(name);
  if (ref.digest !== undefined) {
    throw new Error(
      `cannot import as "${name}": an image name for import takes a tag, not a digest`,
    );
  }
  if (!ref.repository.split('/').every((c) => component.test(c))) {
    throw new Error(
      `invalid image name "${name}": path components are lower-case letters, digits and . _ -`,
    );
  }
  if (ref.tag !== undefined && !/^\w[\w.-]{0,127}$/.test(ref.tag)) {
    throw new Error(`invalid tag in "${name}": letters, digits, _ . - (at most 128)`);
  }
  return normalizeImageRef(name);
}

/** Imports a rootfs tarball as image `name` (default tag `latest`) into `store`. */
export async function importRootfs(
  store: LocalImageStore,
  tarPath: string,
  name: string,
  opts: ImportConfigOptions = {},
  signal?: AbortSignal,
): Promise<ImageInfo> {
  const tag = importName(name);
  const { diffId } = await store.putLayerComputed((dir) => extractRootfsTar(tarPath, dir, signal));
  return store.putImage(buildImportConfig(diffId, opts), [tag], []);
}

/**
 * Read access to an image archive's members, whether the archive is a directory (an OCI image
 * layout on disk) or a tar file (`docker save`, `skopeo copy … oci-archive:`). A plain tar is
 * indexed once (header walk, no copying) and members are then streamed by offset; a compressed
 * outer tar (`docker save | gzip`) is first decompressed into a scratch file. Symlinks inside the
 * archive (docker's `<id>/layer.tar -> ../<diffid>.tar`) are followed, but only within it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import {
  lstat,
  mkdtemp,
  open,
  readFile,
  realpath,
  rm,
  stat,
  type FileHandle,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressed, detectCompression } from '../unpack/decompress.ts';

/** A malformed or unusable archive; the message says what is wrong. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

/** Members of an archive, addressed by normalised relative paths (`blobs/sha256/<hex>`). */
export interface ArchiveSource {
  /** True when `path` names a regular file (after following in-archive symlinks). */
  has(path: string): boolean | Promise<boolean>;
  /** Size in bytes of the file at `path`; throws ArchiveError when missing. */
  size(path: string): Promise<number>;
  /** Whole file (for JSON documents), refusing files over `max` bytes. */
  read(path: string, max?: number): Promise<Buffer>;
  /** The file's bytes as a stream. */
  stream(path: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Normalises an archive member name; undefined for names that leave the archive. */
export function memberPath(name: string): string | undefined {
  const rel = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (rel === '..' || rel.startsWith('../') || rel.includes('\0')) return undefined;
  return rel === '.' ? '' : rel;
}

const jsonLimit = 16 << 20;

/** An OCI layout directory on disk. */
class DirSource implements ArchiveSource {
  constructor(private readonly root: string) {}

  private async file(path: string): Promise<string | undefined> {
    const rel = memberPath(path);
    if (rel === undefined || rel === '') return undefined;
    try {
      const real = await realpath(join(this.root, rel));
      if (!real.startsWith(this.root + sep)) return undefined;
      return (await stat(real)).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  private async need(path: string): Promise<string> {
    const f = await this.file(path);
    if (f === undefined) throw new ArchiveError(`archive has no file ${path}`);
    return f;
  }

  async has(path: string): Promise<boolean> {
    return (await this.file(path)) !== undefined;
  }

  async size(path: string): Promise<number> {
    return (await stat(await this.need(path))).size;
  }

  async read(path: string, max = jsonLimit): Promise<Buffer> {
    const f = await this.need(path);
    if ((await stat(f)).size > max) throw new ArchiveError(`${path} is too large`);
    return readFile(f);
  }

  async stream(path: string): Promise<Readable> {
    return createReadStream(await this.need(path));
  }

  async close(): Promise<void> {
    // nothing to release
  }
}

interface TarMember {
  type: 'file' | 'symlink' | 'link' | 'dir' | 'other';
  offset: number;
  size: number;
  target?: string;
}

function field(block: Buffer, start: number, len: number): string {
  const raw = block.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function numeric(block: Buffer, start: number, len: number): number {
  const raw = block.subarray(start, start + len);
  if ((raw[0]! & 0x80) !== 0) {
    // base-256 (GNU) for sizes of 8 GiB and more
    let n = raw[0]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + raw[i]!;
    return n;
  }
  const text = field(block, start, len).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError(`not a tar archive (bad number "${text}")`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return numeric(block, 148, 8) === sum;
}

function paxRecords(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(buf.subarray(pos, space).toString(), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = buf.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Walks a plain tar's headers and returns its members (last entry of a name wins). */
export async function indexTar(fh: FileHandle, fileSize: number): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  const block = Buffer.alloc(512);
  let pos = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let sawHeader = false;
  let ended = false;
  const readAt = async (buf: Buffer, at: number): Promise<void> => {
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    if (bytesRead !== buf.length) throw new ArchiveError('archive is truncated');
  };
  while (pos + 512 <= fileSize) {
    await readAt(block, pos);
    if (block.every((b) => b === 0)) {
      ended = true;
      break;
    }
    if (!checksumOk(block)) {
      throw new ArchiveError(
        sawHeader ? 'archive is corrupt (bad tar header)' : 'not a tar archive',
      );
    }
    sawHeader = true;
    const typeflag = String.fromCharCode(block[156]!);
    const size = numeric(block, 124, 12);
    const dataAt = pos + 512;
    const next = dataAt + Math.ceil(size / 512) * 512;
    if (dataAt + size > fileSize) throw new ArchiveError('archive is truncated');
    if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K') {
      if (size > 1 << 20) throw new ArchiveError('archive has an oversized extended header');
      const data = Buffer.alloc(size);
      await readAt(data, dataAt);
      if (typeflag === 'x') pax = paxRecords(data);
      else if (typeflag === 'L') longName = field(data, 0, size);
      else longLink = field(data, 0, size);
      pos = next;
      continue;
    }
    if (typeflag === 'g') {
      pos = next;
      continue;
    }
    const prefix = block.subarray(257, 263).toString('latin1').startsWith('ustar')
      ? field(block, 345, 155)
      : '';
    const short = field(block, 0, 100);
    const name = pax['path'] ?? longName ?? (prefix !== '' ? `${prefix}/${short}` : short);
    const linkname = pax['linkpath'] ?? longLink ?? field(block, 157, 100);
    const realSize = pax['size'] !== undefined ? Number(pax['size']) : size;
    pax = {};
    longName = undefined;
    longLink = undefined;
    const rel = memberPath(name);
    if (rel !== undefined && rel !== '') {
      const type =
        typeflag === '0' || typeflag === '\0' || typeflag === '7'
          ? 'file'
          : typeflag === '2'
            ? 'symlink'
            : typeflag === '1'
              ? 'link'
              : typeflag === '5'
                ? 'dir'
                : 'other';
      members.set(rel, {
        type,
        offset: dataAt,
        size: realSize,
        ...(type === 'symlink' || type === 'link' ? { target: linkname } : {}),
      });
    }
    pos = dataAt + Math.ceil(realSize / 512) * 512;
  }
  if (!sawHeader) throw new ArchiveError('not a tar archive (empty)');
  if (!ended) throw new ArchiveError('archive is truncated (no end-of-archive marker)');
  return members;
}

/** A tar file, indexed. */
class TarSource implements ArchiveSource {
  constructor(
    private readonly path: string,
    private readonly members: Map<string, TarMember>,
    private readonly cleanup: () => Promise<void>,
  ) {}

  private resolve(path: string): TarMember | undefined {
    let rel = memberPath(path);
    for (let hops = 0; hops < 16 && rel !== undefined && rel !== ''; hops++) {
      const m = this.members.get(rel);
      if (m === undefined) return undefined;
      if (m.type === 'file') return m;
      if (m.type === 'link') {
        rel = memberPath(m.target ?? '');
      } else if (m.type === 'symlink') {
        const t = m.target ?? '';
        rel = t.startsWith('/') ? undefined : memberPath(posix.join(posix.dirname(rel), t));
      } else {
        return undefined;
      }
    }
    return undefined;
  }

  private need(path: string): TarMember {
    const m = this.resolve(path);
    if (m === undefined) throw new ArchiveError(`archive has no file ${path}`);
    return m;
  }

  has(path: string): boolean {
    return this.resolve(path) !== undefined;
  }

  size(path: string): Promise<number> {
    return Promise.resolve().then(() => this.need(path).size);
  }

  async read(path: string, max = jsonLimit): Promise<Buffer> {
    const m = this.need(path);
    if (m.size > max) throw new ArchiveError(`${path} is too large`);
    const buf = Buffer.alloc(m.size);
    const fh = await open(this.path, 'r');
    try {
      if (m.size > 0) await fh.read(buf, 0, m.size, m.offset);
    } finally {
      await fh.close();
    }
    return buf;
  }

  stream(path: string): Promise<Readable> {
    return Promise.resolve().then(() => {
      const m = this.need(path);
      if (m.size === 0) return Readable.from([]);
      return createReadStream(this.path, { start: m.offset, end: m.offset + m.size - 1 });
    });
  }

  close(): Promise<void> {
    return this.cleanup();
  }
}

/**
 * Opens `path` (a directory or a tar, plain or gzip/zstd-compressed). `scratchDir` receives a
 * decompressed copy of a compressed tar (default: the system temp dir); it is deleted on close.
 */
export async function openArchive(path: string, scratchDir = tmpdir()): Promise<ArchiveSource> {
  const st = await lstat(path).catch(() => undefined);
  const real = st ? await realpath(path) : undefined;
  if (!st || real === undefined) throw new ArchiveError(`cannot read "${path}": no such file`);
  const target = await stat(real);
  if (target.isDirectory()) return new DirSource(real);
  if (!target.isFile()) throw new ArchiveError(`"${path}" is not a file or directory`);
  const fh = await open(real, 'r');
  const head = Buffer.alloc(4);
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  let tarPath = real;
  let cleanup = (): Promise<void> => Promise.resolve();
  if (detectCompression(head) !== 'none') {
    const dir = await mkdtemp(join(scratchDir, 'podbay-load-'));
    cleanup = () => rm(dir, { recursive: true, force: true });
    tarPath = join(dir, 'archive.tar');
    try {
      const { stream } = await decompressed(createReadStream(real));
      await pipeline(stream, createWriteStream(tarPath));
    } catch (e) {
      await cleanup();
      throw new ArchiveError(`cannot decompress "${path}": ${(e as Error).message}`);
    }
  }
  try {
    const tfh = await open(tarPath, 'r');
    try {
      const members = await indexTar(tfh, (await tfh.stat()).size);
      return new TarSource(tarPath, members, cleanup);
    } finally {
      await tfh.close();
    }
  } catch (e) {
    await cleanup();
    if (e instanceof ArchiveError) throw new ArchiveError(`"${path}": ${e.message}`);
    throw e;
  }
}

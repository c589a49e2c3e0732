import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { decompressed } from './decompress.ts';
import { PaxXattrScanner } from './pax-xattrs.ts';
import { makeNode, setXattr } from './special-files.ts';

/** Options for {@link unpackLayer}. */
export interface UnpackOptions {
  signal?: AbortSignal;
  /** xattr that marks an opaque directory; `user.overlay.opaque` for rootless overlays. */
  opaqueXattr?: string;
  /** chown entries to the uid/gid in the tar; defaults to true when running as root. */
  preserveOwner?: boolean;
  /** Told about entries that could not be made here (device nodes without privilege, aufs metadata). */
  onSkip?: (path: string, reason: string) => void;
}

/** What {@link unpackLayer} measured. */
export interface UnpackResult {
  /** `sha256:` of the uncompressed tar stream: the layer's diff_id. */
  diffId: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  /** Tar entries applied. */
  entries: number;
}

/** A layer that tries to escape its directory or is malformed; the layer must be discarded. */
export class UnsafeLayerError extends Error {
  override name = 'UnsafeLayerError';
}

type Header = Omit<tar.Header, 'pax'> & { pax?: Record<string, string> | null };
type Entry = tar.Extract extends AsyncIterable<infer S> ? S : never;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function drain(entry: Entry): Promise<void> {
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    if (chunk.length < 0) break;
  }
}

/**
 * Applies tar entries to one directory for use as an overlayfs layer, never leaving it: names
 * are normalised and `..` escapes are refused, parents are walked one component at a time with
 * lstat (a symlink or file where a directory is needed is refused, never followed), existing
 * non-directories are unlinked before anything is created, files are opened with O_EXCL, and
 * hard links may only name paths inside the layer. Whiteouts become overlayfs whiteouts.
 */
class LayerWriter {
  private readonly realDirs = new Set<string>();
  private readonly dirTimes: Array<{ abs: string; mtime: Date }> = [];
  private readonly chown: boolean;
  private readonly isRoot = process.getuid?.() === 0;
  entries = 0;

  constructor(
    private readonly root: string,
    private readonly opts: UnpackOptions,
    private readonly scanner: PaxXattrScanner,
  ) {
    this.chown = opts.preserveOwner ?? this.isRoot;
  }

  /** Normalises a tar name to a path relative to the layer root ('' is the root itself). */
  clean(name: string): string {
    if (name.includes('\0')) throw new UnsafeLayerError(`layer entry name contains NUL: ${name}`);
    const rel = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
    if (rel === '..' || rel.startsWith('../')) {
      throw new UnsafeLayerError(`layer entry ${JSON.stringify(name)} escapes the layer root`);
    }
    return rel === '.' ? '' : rel;
  }

  /** Returns the absolute path of directory `rel`, creating missing components (never via symlinks). */
  private ensureDir(rel: string, create = true): string {
    if (rel === '' || rel === '.') return this.root;
    if (this.realDirs.has(rel)) return join(this.root, rel);
    let cur = '';
    for (const comp of rel.split('/')) {
      cur = cur === '' ? comp : `${cur}/${comp}`;
      if (this.realDirs.has(cur)) continue;
      const abs = join(this.root, cur);
      const st = lstatOrUndefined(abs);
      if (st === undefined) {
        if (!create) throw new UnsafeLayerError(`layer path ${cur} does not exist`);
        mkdirSync(abs, 0o755);
      } else if (!st.isDirectory()) {
        const what = st.isSymbolicLink() ? 'a symlink' : 'not a directory';
        throw new UnsafeLayerError(`layer path ${rel}: parent ${cur} is ${what}`);
      }
      this.realDirs.add(cur);
    }
    return join(this.root, rel);
  }

  private forget(rel: string): void {
    for (const d of this.realDirs)
      if (d === rel || d.startsWith(`${rel}/`)) this.realDirs.delete(d);
  }

  private remove(rel: string, abs: string, st: Stats): void {
    if (st.isDirectory()) {
      rmSync(abs, { recursive: true, force: true });
      this.forget(rel);
    } else {
      unlinkSync(abs);
    }
  }

  private attrs(abs: string, h: Header, kind: 'dir' | 'node' | 'symlink'): void {
    const pax = h.pax ?? {};
    const uid = pax['uid'] !== undefined ? Number(pax['uid']) : (h.uid ?? 0);
    const gid = pax['gid'] !== undefined ? Number(pax['gid']) : (h.gid ?? 0);
    if (this.chown) lchownSync(abs, uid, gid);
    const mtime = this.mtime(h);
    if (kind === 'symlink') {
      lutimesSync(abs, mtime, mtime);
      return;
    }
    chmodSync(abs, (h.mode ?? 0o755) & 0o7777);
    if (kind === 'dir') this.dirTimes.push({ abs, mtime });
    else lutimesSync(abs, mtime, mtime);
  }

  private mtime(h: Header): Date {
    const paxTime = h.pax?.['mtime'];
    if (paxTime !== undefined && Number.isFinite(Number(paxTime))) {
      return new Date(Number(paxTime) * 1000);
    }
    return h.mtime ?? new Date(0);
  }

  /** Sets the entry's pax xattrs, read as raw bytes by the scanner (tar-stream's are UTF-8). */
  private async xattrs(abs: string): Promise<void> {
    for (const [name, value] of this.scanner.byEntry.get(this.entries) ?? []) {
      await setXattr(abs, name, value);
    }
    this.scanner.byEntry.delete(this.entries);
  }

  private skip(path: string, reason: string): void {
    this.opts.onSkip?.(path, reason);
  }

  async apply(entry: Entry): Promise<void> {
    const h = entry.header as unknown as Header;
    const rel = this.clean(h.name);
    this.entries++;
    if (rel === '') {
      await drain(entry);
      return;
    }
    const base = posix.basename(rel);
    const parentRel = posix.dirname(rel);
    if (base.startsWith('.wh.')) {
      await drain(entry);
      await this.whiteout(rel, parentRel, base, h);
      return;
    }
    const abs = join(this.ensureDir(parentRel), base);
    const existing = lstatOrUndefined(abs);
    const type = h.type ?? 'file';
    if (type === 'directory') {
      await drain(entry);
      if (existing !== undefined && !existing.isDirectory()) this.remove(rel, abs, existing);
      if (existing === undefined || !existing.isDirectory()) mkdirSync(abs, 0o700);
      this.realDirs.add(rel);
      this.attrs(abs, h, 'dir');
      await this.xattrs(abs);
      return;
    }
    if (existing !== undefined) this.remove(rel, abs, existing);
    switch (type) {
      case 'file':
      case 'contiguous-file':
        await this.writeFile(abs, entry, h);
        break;
      case 'symlink':
        await drain(entry);
        symlinkSync(h.linkname ?? '', abs);
        this.attrs(abs, h, 'symlink');
        break;
      case 'link': {
        await drain(entry);
        const target = this.clean(h.linkname ?? '');
        const targetAbs = join(
          this.ensureDir(posix.dirname(target), false),
          posix.basename(target),
        );
        const st = target === '' ? undefined : lstatOrUndefined(targetAbs);
        if (st === undefined || st.isDirectory()) {
          throw new UnsafeLayerError(
            `layer hard link ${rel} -> ${h.linkname ?? ''}: target is not a file in this layer`,
          );
        }
        linkSync(targetAbs, abs);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        await drain(entry);
        const kind = type === 'fifo' ? 'fifo' : type === 'block-device' ? 'block' : 'char';
        try {
          await makeNode(abs, kind, h.devmajor ?? 0, h.devminor ?? 0);
        } catch (e) {
          if (this.isRoot) throw e;
          this.skip(rel, `cannot create ${type} without privilege`);
          return;
        }
        this.attrs(abs, h, 'node');
        break;
      }
      default:
        await drain(entry);
        throw new UnsafeLayerError(
          `layer entry ${rel}: unsupported tar entry type ${String(type)}`,
        );
    }
    await this.xattrs(abs);
  }

  private async writeFile(abs: string, entry: Entry, h: Header): Promise<void> {
    const fd = openSync(abs, 'wx', 0o600);
    try {
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      }
      const pax = h.pax ?? {};
      if (this.chown) {
        const uid = pax['uid'] !== undefined ? Number(pax['uid']) : (h.uid ?? 0);
        const gid = pax['gid'] !== undefined ? Number(pax['gid']) : (h.gid ?? 0);
        fchownSync(fd, uid, gid);
      }
      fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
      const mtime = this.mtime(h);
      futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
  }

  private async whiteout(rel: string, parentRel: string, base: string, h: Header): Promise<void> {
    if ((h.type ?? 'file') !== 'file') {
      throw new UnsafeLayerError(`layer whiteout ${rel} is not a regular file`);
    }
    const parentAbs = this.ensureDir(parentRel);
    if (base === '.wh..wh..opq') {
      await setXattr(
        parentAbs,
        this.opts.opaqueXattr ?? 'trusted.overlay.opaque',
        Buffer.from('y'),
      );
      return;
    }
    const name = base.slice('.wh.'.length);
    if (name === '' || name === '.' || name === '..') {
      throw new UnsafeLayerError(`layer whiteout ${JSON.stringify(rel)} names no file`);
    }
    if (name.startsWith('.wh.')) {
      this.skip(rel, 'aufs metadata ignored');
      return;
    }
    const abs = join(parentAbs, name);
    const existing = lstatOrUndefined(abs);
    if (existing !== undefined) this.remove(posix.join(parentRel, name), abs, existing);
    try {
      await makeNode(abs, 'char', 0, 0);
    } catch (e) {
      if (this.isRoot) throw e;
      this.skip(rel, 'cannot create an overlay whiteout without privilege');
    }
  }

  /** Sets directory mtimes last (children change them), deepest first. */
  finish(): void {
    for (const { abs, mtime } of this.dirTimes.reverse()) {
      const st = lstatOrUndefined(abs);
      if (st?.isDirectory() === true) lutimesSync(abs, mtime, mtime);
    }
  }
}

/**
 * Unpacks one image layer (a tar, gzip- or zstd-compressed or not; detected by magic bytes) into
 * `dir`, streaming, and returns its diff_id (sha256 of the uncompressed tar). `dir` should be
 * empty; on failure it holds a partial layer the caller must discard.
 */
export async function unpackLayer(
  stream: Readable,
  dir: string,
  opts: UnpackOptions = {},
): Promise<UnpackResult> {
  const root = resolve(dir);
  if (!lstatSync(root).isDirectory()) throw new Error(`unpack target ${root} is not a directory`);
  // The layer root is the store's: 0755 whatever the tar's own `./` entry (skipped) says.
  chmodSync(root, 0o755);
  const { stream: plain } = await decompressed(stream, opts.signal);
  const hash = createHash('sha256');
  let size = 0;
  const scanner = new PaxXattrScanner();
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  const piping = pipeline(
    plain,
    hasher,
    scanner,
    extract,
    opts.signal ? { signal: opts.signal } : {},
  );
  piping.catch(() => undefined);
  const writer = new LayerWriter(root, opts, scanner);
  try {
    for await (const entry of extract) await writer.apply(entry);
    await piping;
    writer.finish();
  } catch (e) {
    extract.destroy();
    plain.destroy();
    stream.destroy();
    throw e;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size, entries: writer.entries };
}

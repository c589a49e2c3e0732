import { Transform, type TransformCallback } from 'node:stream';

/** Extended attributes as raw bytes, by name. */
export type Xattrs = Array<[name: string, value: Buffer]>;

const BLOCK = 512;

function parseSize(field: Buffer): number {
  const first = field[0] ?? 0;
  if ((first & 0x80) !== 0) {
    // GNU base-256: the remaining bytes are a big-endian number.
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = field
    .toString('ascii')
    .replace(/[\0 ]+/g, ' ')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Parses pax records (`LEN key=value\n`) keeping values as bytes. */
export function parsePaxRecords(buf: Buffer): Array<[key: string, value: Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(buf.toString('ascii', pos, space), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > buf.length) break;
    const record = buf.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq > 0) out.push([record.toString('utf8', 0, eq), Buffer.from(record.subarray(eq + 1))]);
    pos += len;
  }
  return out;
}

/**
 * Watches the raw tar stream (passing it through untouched) and records, per real entry (numbered
 * from 1 in archive order), the xattrs of its pax header with their values as raw bytes. tar-stream
 * decodes pax values as UTF-8, which corrupts binary values such as `security.capability`.
 * Entry numbering matches the entries tar-stream emits (pax, GNU long-name headers not counted).
 */
export class PaxXattrScanner extends Transform {
  readonly byEntry = new Map<number, Xattrs>();
  private header = Buffer.alloc(0);
  private skip = 0;
  private capture: Buffer[] | undefined;
  private captureSize = 0;
  private pending: { xattrs: Xattrs; size?: number } | undefined;
  private entry = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (e) {
      cb(e as Error);
      return;
    }
    cb(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.capture?.push(chunk.subarray(off, off + n));
        this.skip -= n;
        off += n;
        if (this.skip === 0 && this.capture !== undefined) this.finishPax();
        continue;
      }
      const need = BLOCK - this.header.length;
      const take = chunk.subarray(off, off + need);
      off += take.length;
      this.header =
        this.header.length === 0 ? Buffer.from(take) : Buffer.concat([this.header, take]);
      if (this.header.length < BLOCK) return;
      const h = this.header;
      this.header = Buffer.alloc(0);
      this.onHeader(h);
    }
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) return;
    const type = String.fromCharCode(h[156] ?? 0);
    let size = parseSize(h.subarray(124, 136));
    if (type === 'x') {
      this.capture = [];
      this.captureSize = size;
    } else if (type !== 'g' && type !== 'L' && type !== 'K' && type !== 'N') {
      this.entry++;
      if (this.pending !== undefined) {
        if (this.pending.xattrs.length > 0) this.byEntry.set(this.entry, this.pending.xattrs);
        if (this.pending.size !== undefined) size = this.pending.size;
        this.pending = undefined;
      }
      if (type === '5') size = 0; // as tar-stream: directories carry no data
    }
    this.skip = Math.ceil(size / BLOCK) * BLOCK;
    if (this.skip === 0 && this.capture !== undefined) this.finishPax();
  }

  private finishPax(): void {
    const data = Buffer.concat(this.capture ?? []).subarray(0, this.captureSize);
    this.capture = undefined;
    const pending: { xattrs: Xattrs; size?: number } = { xattrs: [] };
    for (const [key, value] of parsePaxRecords(data)) {
      if (key.startsWith('SCHILY.xattr.')) {
        pending.xattrs.push([key.slice('SCHILY.xattr.'.length), value]);
      } else if (key.startsWith('LIBARCHIVE.xattr.')) {
        const name = decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length));
        pending.xattrs.push([name, Buffer.from(value.toString('ascii'), 'base64')]);
      } else if (key === 'size') {
        pending.size = Number(value.toString('ascii'));
      }
    }
    this.pending = pending;
  }
}

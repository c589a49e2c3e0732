/**
 * SPDY/3 header blocks: the uncompressed form (`count`, then `len name len value` pairs, all
 * 32-bit big-endian) and its compression, one zlib context per direction primed with the SPDY/3
 * dictionary, every block ending on a sync flush. Blocks must be processed strictly in the order
 * they appear on the wire, so each codec serialises its calls itself.
 */
import zlib from 'node:zlib';
import { spdy3Dictionary } from './dictionary.ts';

/** Header names (lowercase) to values; a name sent several times keeps every value. */
export type SpdyHeaders = Record<string, string[]>;

/** Serialises headers into an uncompressed block. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [name, values] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed block; values holding NUL separators become several values. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let off = 0;
  const u32 = (): number => {
    if (off + 4 > block.length) throw new Error('truncated SPDY header block');
    const n = block.readUInt32BE(off);
    off += 4;
    return n;
  };
  const str = (): string => {
    const len = u32();
    if (off + len > block.length) throw new Error('truncated SPDY header block');
    const s = block.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = str().toLowerCase();
    const values = str().split('\0');
    (headers[name] ??= []).push(...values);
  }
  return headers;
}

/** Runs a zlib stream as a strictly ordered block transformer: each call's output is whatever
 * the stream produced up to a sync flush after that call's input. */
class SyncFlushPipe {
  private chain: Promise<unknown> = Promise.resolve();
  private out: Buffer[] = [];
  private failed: Error | undefined;

  constructor(private readonly stream: zlib.Inflate | zlib.Deflate) {
    stream.on('data', (c: Buffer) => this.out.push(c));
    stream.on('error', (err: Error) => {
      this.failed = err;
    });
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failed) {
            reject(this.failed);
            return;
          }
          const onError = (err: Error): void => reject(err);
          this.stream.once('error', onError);
          if (input.length) this.stream.write(input);
          this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.stream.off('error', onError);
            if (this.failed) {
              reject(this.failed);
              return;
            }
            const result = Buffer.concat(this.out);
            this.out = [];
            resolve(result);
          });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Compresses our header blocks with one persistent deflate context. */
export class HeaderCompressor {
  private readonly pipe = new SyncFlushPipe(zlib.createDeflate({ dictionary: spdy3Dictionary }));

  /** Returns the compressed block for `headers` (calls complete in call order). */
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.pipe.run(encodeHeaderBlock(headers));
  }

  /** Releases the zlib context. */
  close(): void {
    this.pipe.close();
  }
}

/** Decompresses the peer's header blocks with one persistent inflate context. */
export class HeaderDecompressor {
  private readonly pipe = new SyncFlushPipe(zlib.createInflate({ dictionary: spdy3Dictionary }));

  /** Returns the headers of a compressed block (calls complete in call order). */
  async decompress(block: Buffer): Promise<SpdyHeaders> {
    return decodeHeaderBlock(await this.pipe.run(block));
  }

  /** Releases the zlib context. */
  close(): void {
    this.pipe.close();
  }
}

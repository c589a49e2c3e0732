/**
 * Reads container logs in the CRI format (`<RFC3339Nano> <stdout|stderr> <P|F> <text>`), as the
 * kubelet serves `kubectl logs`: tail, since, timestamps, byte limit, and follow (which reopens
 * the file when it is rotated and ends once the container has exited and the file is drained).
 * Built for throughput: records are found with Buffer.indexOf and copied by slices.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';

/** Options of one log read (the `pods/log` query). */
export interface LogReadOptions {
  tailLines?: number;
  /** Epoch ms; records before it are skipped. */
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
  follow?: boolean;
  /** Follow ends when this returns true and the file has been drained. */
  isFinished?: () => boolean | Promise<boolean>;
  /** How often follow polls for growth and rotation. */
  pollMs?: number;
  signal?: AbortSignal;
}

const NL = 0x0a;
const SP = 0x20;
const chunkSize = 1 << 20;

/** Parses an RFC 3339 timestamp with nanoseconds into epoch ms (fraction beyond ms dropped). */
export function parseLogTime(ts: string): number {
  return Date.parse(ts);
}

/** Formats a CRI timestamp as Go's RFC3339Nano does (UTC `Z`, trailing fraction zeros trimmed). */
export function formatLogTime(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return ts;
  const [, base0, frac, zone] = m as unknown as [string, string, string | undefined, string];
  let base = base0;
  if (zone !== 'Z' && zone !== '+00:00' && zone !== '-00:00') {
    const d = new Date(Date.parse(ts));
    base = d.toISOString().slice(0, 19);
  }
  const f = (frac ?? '').replace(/0+$/, '');
  return `${base}${f ? '.' + f : ''}Z`;
}

/** Turns a buffer of whole CRI records into output bytes. */
class RecordFormatter {
  #partial: Buffer[] = [];
  constructor(private readonly opts: LogReadOptions) {}

  /** Formats complete lines in `buf[start, end)`; each ends with '\n' at end-1. */
  format(buf: Buffer, out: Buffer[]): void {
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      let nl = buf.indexOf(NL, pos);
      if (nl < 0) nl = len;
      const s1 = buf.indexOf(SP, pos);
      const s2 = s1 < 0 ? -1 : buf.indexOf(SP, s1 + 1);
      const s3 = s2 < 0 ? -1 : buf.indexOf(SP, s2 + 1);
      if (s1 < 0 || s2 < 0 || s3 < 0 || s3 > nl) {
        pos = nl + 1; // not a CRI record: skip it
        continue;
      }
      const tag = buf[s2 + 1];
      if (this.opts.sinceMs !== undefined) {
        const t = parseLogTime(buf.toString('latin1', pos, s1));
        if (t < this.opts.sinceMs) {
          pos = nl + 1;
          continue;
        }
      }
      if (this.opts.timestamps && this.#partial.length === 0) {
        out.push(Buffer.from(formatLogTime(buf.toString('latin1', pos, s1)) + ' '));
      }
      const content = buf.subarray(s3 + 1, nl);
      if (tag === 0x50 /* P */) {
        out.push(content);
        this.#partial.push(content);
      } else {
        out.push(content, NEWLINE);
        this.#partial = [];
      }
      pos = nl + 1;
    }
  }
}

const NEWLINE = Buffer.from('\n');

/** Finds the byte offset where the last `n` lines (a line = P records ending with an F) start. */
async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  for (let window = 64 * 1024; ; window *= 2) {
    const start = Math.max(0, size - window);
    const buf = Buffer.allocUnsafe(size - start);
    await fh.read(buf, 0, buf.length, start);
    // Record starts within the window (skip a cut first record unless at the file start).
    let pos = start === 0 ? 0 : buf.indexOf(NL) + 1;
    const lineStarts: number[] = [];
    let lineStart = -1;
    const cut = start > 0 && pos === 0; // no record boundary in the window yet
    while (!cut && pos < buf.length) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      const s1 = buf.indexOf(SP, pos);
      const s2 = s1 < 0 ? -1 : buf.indexOf(SP, s1 + 1);
      if (lineStart < 0) lineStart = pos;
      if (s2 >= 0 && s2 < nl && buf[s2 + 1] === 0x46 /* F */) {
        lineStarts.push(lineStart);
        lineStart = -1;
      }
      pos = nl + 1;
    }
    if (lineStarts.length > n || start === 0) {
      const i = Math.max(0, lineStarts.length - n);
      return start + (lineStarts[i] ?? buf.length);
    }
  }
}

/** Streams the log at `path` according to `options`. */
export async function* readCriLog(
  path: string,
  options: LogReadOptions = {},
): AsyncGenerator<Buffer> {
  let fh = await open(path, 'r');
  let ino = (await fh.stat()).ino;
  const fmt = new RecordFormatter(options);
  let remaining = options.limitBytes ?? Infinity;
  try {
    let pos = 0;
    if (options.tailLines !== undefined) {
      const size = (await fh.stat()).size;
      pos = await tailOffset(fh, size, options.tailLines);
      if (options.tailLines === 0) pos = size;
    }
    let carry: Buffer = Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(chunkSize);
    for (;;) {
      if (options.signal?.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        const data = carry.length
          ? Buffer.concat([carry, buf.subarray(0, bytesRead)])
          : buf.subarray(0, bytesRead);
        const lastNl = data.lastIndexOf(NL);
        if (lastNl < 0) {
          carry = Buffer.from(data);
          continue;
        }
        const out: Buffer[] = [];
        fmt.format(data.subarray(0, lastNl + 1), out);
        carry = Buffer.from(data.subarray(lastNl + 1));
        if (out.length) {
          let chunk = Buffer.concat(out);
          if (chunk.length > remaining) chunk = chunk.subarray(0, remaining);
          remaining -= chunk.length;
          yield chunk;
          if (remaining <= 0) return;
        }
        continue;
      }
      // At the end of the file.
      if (!options.follow) return;
      const rotated = await stat(path).then(
        (s) => s.ino !== ino,
        () => false,
      );
      if (rotated) {
        await fh.close();
        fh = await open(path, 'r');
        ino = (await fh.stat()).ino;
        pos = 0;
        continue;
      }
      if (await options.isFinished?.()) {
        // Drain once more: the last lines may have landed after the read above.
        const { bytesRead: more } = await fh.read(buf, 0, 1, pos);
        if (more === 0) return;
        continue;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, options.pollMs ?? 100);
        options.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            r();
          },
          { once: true },
        );
      });
    }
  } finally {
    await fh.close();
  }
}

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

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
/** Where `YYYY-MM-DDTHH:MM:SS` has its separators (every other byte is a digit). */
const separators: Record<number, number> = { 4: 0x2d, 7: 0x2d, 10: 0x54, 13: 0x3a, 16: 0x3a };

/**
 * {@link formatLogTime} on bytes for the common UTC shape (`…:SS[.digits]Z`): copies
 * `src[start, end)` as formatted into `dst` at `at` and returns the end, without making strings;
 * -1 for any other shape (the caller then formats the string).
 */
export function formatLogTimeInto(
  src: Buffer,
  start: number,
  end: number,
  dst: Buffer,
  at: number,
): number {
  if (end - start < 20 || src[end - 1] !== 0x5a /* Z */) return -1;
  for (let i = 0; i < 19; i++) {
    const b = src[start + i];
    const sep = separators[i];
    if (sep === undefined ? !isDigit(b) : b !== sep) return -1;
  }
  let last = end - 1; // exclusive end of the fraction
  if (last > start + 19) {
    if (src[start + 19] !== 0x2e /* . */ || last === start + 20) return -1;
    for (let i = start + 20; i < last; i++) if (!isDigit(src[i])) return -1;
    while (last > start + 20 && src[last - 1] === 0x30) last--;
    if (last === start + 20) last = start + 19; // an all-zero fraction goes away with its dot
  }
  dst.set(src.subarray(start, last), at);
  dst[at + last - start] = 0x5a;
  return at + last - start + 1;
}

/** The index of the first space in `buf[from, end)`, or -1. */
function nextSpace(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === SP) return i;
  return -1;
}

/** Turns a buffer of whole CRI records into output bytes. */
class RecordFormatter {
  /** True inside a line that partial (`P`) records have begun. */
  #inLine = false;
  constructor(private readonly opts: LogReadOptions) {}

  /**
   * Formats the records of `buf` (whole lines, the last ending with '\n') into one buffer: each
   * line's content and newline are one copy. The output is never longer than the input (a
   * formatted timestamp is no longer than the record's).
   */
  format(buf: Buffer): Buffer {
    const out = Buffer.allocUnsafe(buf.length);
    let at = 0;
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      let nl = buf.indexOf(NL, pos);
      if (nl < 0) nl = len;
      // The three separators are near the start: a plain loop beats three native calls.
      const s1 = nextSpace(buf, pos, nl);
      const s2 = s1 < 0 ? -1 : nextSpace(buf, s1 + 1, nl);
      const s3 = s2 < 0 ? -1 : nextSpace(buf, s2 + 1, nl);
      if (s3 < 0) {
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
      if (this.opts.timestamps && !this.#inLine) {
        const end = formatLogTimeInto(buf, pos, s1, out, at);
        at =
          end >= 0
            ? end
            : at + out.write(formatLogTime(buf.toString('latin1', pos, s1)), at, 'latin1');
        out[at++] = SP;
      }
      // set() of a view copies a short run several times faster than Buffer#copy.
      out.set(buf.subarray(s3 + 1, nl), at);
      at += nl - s3 - 1;
      this.#inLine = tag === 0x50; /* P: the line goes on in the next record */
      if (!this.#inLine) out[at++] = NL;
      pos = nl + 1;
    }
    return out.subarray(0, at);
  }
}

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
        let chunk = fmt.format(data.subarray(0, lastNl + 1));
        carry = Buffer.from(data.subarray(lastNl + 1));
        if (chunk.length) {
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

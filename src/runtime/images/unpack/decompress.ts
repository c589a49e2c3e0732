import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** Compression of a layer blob, as detected from its first bytes. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** Detects the compression from a blob's magic bytes (never from names or media types). */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (
    head.length >= 4 &&
    head[0] === 0x28 &&
    head[1] === 0xb5 &&
    head[2] === 0x2f &&
    head[3] === 0xfd
  ) {
    return 'zstd';
  }
  return 'none';
}

/** Reads at least `n` bytes (unless the stream ends first) and returns them plus the whole stream. */
async function peek(src: Readable, n: number): Promise<{ head: Buffer; all: Readable }> {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let len = 0;
  let ended = false;
  while (len < n) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(chunk);
    len += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      while (!ended) {
        const r = await it.next();
        if (r.done === true) return;
        yield r.value;
      }
    } finally {
      if (!ended) await it.return?.();
    }
  }
  return { head, all: Readable.from(replay(), { objectMode: false }) };
}

/**
 * Returns the decompressed form of `src`, detecting gzip and zstd by magic bytes. zstd is
 * decoded by the `zstd` binary (Node 20 has no zstd); an uncompressed stream passes through.
 */
export async function decompressed(
  src: Readable,
  signal?: AbortSignal,
): Promise<{ stream: Readable; compression: Compression }> {
  const { head, all } = await peek(src, 4);
  const compression = detectCompression(head);
  if (compression === 'none') return { stream: all, compression };
  if (compression === 'gzip') {
    const out = new PassThrough();
    pipeline(all, createGunzip(), out).catch((e: unknown) => out.destroy(e as Error));
    return { stream: out, compression };
  }
  const child = spawn('zstd', ['-dcq'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (e) => out.destroy(new Error(`zstd: ${e.message}`)));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  pipeline(all, child.stdin).catch((e: unknown) => out.destroy(e as Error));
  child.stdout.pipe(out, { end: false });
  child.stdout.on('end', () => {
    void exited.then((code) => {
      if (code === 0) out.end();
      else out.destroy(new Error(`zstd -d exited ${String(code)}: ${stderr.trim().slice(-300)}`));
    });
  });
  out.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return { stream: out, compression };
}

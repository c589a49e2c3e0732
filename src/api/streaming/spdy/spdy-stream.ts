/**
 * One SPDY stream as a Node Duplex: what the peer sends on it is readable (its FIN ends the
 * readable side), what is written goes out as DATA frames, and `end()` sends FIN.
 */
import { Duplex } from 'node:stream';
import type { SpdyHeaders } from './header-codec.ts';

/** What a stream needs from its session. */
export interface StreamSink {
  /** Sends a DATA frame; resolves once the transport can take more (or the frame was dropped). */
  sendData(streamId: number, data: Buffer | readonly Buffer[], fin: boolean): Promise<void>;
  /** Sends RST_STREAM. */
  reset(streamId: number, status: number): void;
  /** Forgets the stream once both halves are done. */
  forget(streamId: number): void;
}

/** RST_STREAM status CANCEL. */
export const rstCancel = 5;

/**
 * Bytes a stream buffers before its writer must wait: chunks written while a frame is in flight
 * are sent together as the next frame (`_writev`), so a fast source is not held up per chunk.
 */
const writeBufferBytes = 1 << 20;

/** The largest DATA payload sent in one frame (the length field allows 16 MiB). */
const maxFramePayload = 4 << 20;

/** A SPDY stream opened by the peer. */
export class SpdyStream extends Duplex {
  private localFin = false;
  private remoteFin = false;
  private wasReset = false;

  constructor(
    /** The stream id (odd for client-opened streams). */
    readonly id: number,
    /** The headers of the SYN_STREAM. */
    readonly headers: SpdyHeaders,
    private readonly sink: StreamSink,
  ) {
    super({ allowHalfOpen: true, writableHighWaterMark: writeBufferBytes });
  }

  /** The first value of a header, if present. */
  header(name: string): string | undefined {
    return this.headers[name]?.[0];
  }

  /** Delivers a DATA payload from the peer (called by the session). */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteFin || this.destroyed) return;
    if (data.length) this.push(data);
    if (fin) {
      this.remoteFin = true;
      this.push(null);
      this.maybeForget();
    }
  }

  /** Handles RST_STREAM or a dead session: both halves end at once, silently. */
  abort(): void {
    this.wasReset = true;
    this.localFin = true;
    if (!this.remoteFin) {
      this.remoteFin = true;
      this.push(null);
    }
    this.sink.forget(this.id);
    this.destroy();
  }

  override _read(): void {
    // No flow control in SPDY/3.1 as kubectl uses it: data is pushed as it arrives.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.localFin) {
      cb();
      return;
    }
    this.sink.sendData(this.id, chunk, false).then(
      () => cb(),
      () => cb(),
    );
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    if (this.localFin) {
      cb();
      return;
    }
    // Group the chunks into frames of at most maxFramePayload bytes.
    const frames: Buffer[][] = [[]];
    let size = 0;
    for (const { chunk } of chunks) {
      if (size + chunk.length > maxFramePayload && size > 0) {
        frames.push([]);
        size = 0;
      }
      frames[frames.length - 1]!.push(chunk);
      size += chunk.length;
    }
    const sent = frames.map((parts) => this.sink.sendData(this.id, parts, false));
    Promise.all(sent).then(
      () => cb(),
      () => cb(),
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localFin) {
      cb();
      return;
    }
    this.localFin = true;
    this.sink.sendData(this.id, Buffer.alloc(0), true).then(
      () => cb(),
      () => cb(),
    );
    this.maybeForget();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.wasReset && !(this.localFin && this.remoteFin)) {
      this.wasReset = true;
      this.sink.reset(this.id, rstCancel);
      this.sink.forget(this.id);
    }
    cb(err);
  }

  private maybeForget(): void {
    if (this.localFin && this.remoteFin) this.sink.forget(this.id);
  }
}

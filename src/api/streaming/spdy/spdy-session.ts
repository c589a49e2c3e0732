/**
 * The server side of a SPDY/3.1 session over any byte transport (a raw upgraded socket or the
 * WebSocket tunnel): accepts client streams and replies to each at once, echoes PINGs, honours
 * RST_STREAM, GOAWAY and FIN, ignores SETTINGS/WINDOW_UPDATE/HEADERS, and never throws out of a
 * transport callback. Frames are handled strictly in order, in both directions.
 */
import type { Logger } from '../../../lib/log.ts';
import {
  FrameParser,
  FrameType,
  encodeDataParts,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  flagFin,
  parseSynStream,
  type ControlFrame,
  type Frame,
} from './framer.ts';
import { HeaderCompressor, HeaderDecompressor } from './header-codec.ts';
import { SpdyStream, type StreamSink } from './spdy-stream.ts';

/** Where the session writes its bytes. */
export interface ByteTransport {
  /**
   * Writes the buffers in order, as one piece where the transport has pieces (a frame's header
   * and payload chunks, which are not copied); calls `done` when it can take more (or is gone).
   */
  write(data: readonly Buffer[], done: () => void): void;
  /** Closes the transport (idempotent). */
  close(): void;
}

/** Options for {@link SpdySession}. */
export interface SpdySessionOptions {
  log: Logger;
  /** Called for every stream the client opens, after its SYN_REPLY was queued. */
  onStream: (stream: SpdyStream) => void;
  /** Called once when the session ends. */
  onClose?: () => void;
}

/** A server-side SPDY/3.1 session. */
export class SpdySession implements StreamSink {
  private readonly parser = new FrameParser();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private inChain: Promise<void> = Promise.resolve();
  private outChain: Promise<void> = Promise.resolve();
  private closed = false;
  private goneAway = false;

  constructor(
    private readonly transport: ByteTransport,
    private readonly options: SpdySessionOptions,
  ) {}

  /** True once the session ended. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Feeds bytes received from the transport (any chunking). */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err: unknown) {
      this.options.log.warn('Bad SPDY frame, closing the session', { err });
      this.close();
      return;
    }
    for (const frame of frames) {
      this.inChain = this.inChain.then(
        () => this.handle(frame),
        () => undefined,
      );
    }
    this.inChain = this.inChain.catch((err: unknown) => {
      this.options.log.warn('SPDY session failed, closing it', { err });
      this.close();
    });
  }

  /** Ends the session: every stream is aborted and the transport closed. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.abort();
    this.streams.clear();
    this.inflater.close();
    this.deflater.close();
    this.transport.close();
    this.options.onClose?.();
  }

  /** Closes the session once everything queued so far was written. */
  closeAfterFlush(): void {
    this.outChain = this.outChain.then(() => this.close());
  }

  /** {@inheritDoc StreamSink.sendData} */
  sendData(streamId: number, data: Buffer | readonly Buffer[], fin: boolean): Promise<void> {
    return this.send(encodeDataParts(streamId, fin ? flagFin : 0, data));
  }

  /** {@inheritDoc StreamSink.reset} */
  reset(streamId: number, status: number): void {
    void this.send(encodeRstStream(streamId, status));
  }

  /** {@inheritDoc StreamSink.forget} */
  forget(streamId: number): void {
    this.streams.delete(streamId);
  }

  /** Queues a frame (or a frame still being compressed) behind everything queued before. */
  private send(frame: Buffer | readonly Buffer[] | Promise<Buffer>): Promise<void> {
    const next = this.outChain.then(async () => {
      const bytes = await frame;
      if (this.closed) return;
      const parts = Buffer.isBuffer(bytes) ? [bytes] : bytes;
      await new Promise<void>((resolve) => this.transport.write(parts, resolve));
    });
    this.outChain = next.catch((err: unknown) => {
      this.options.log.debug('SPDY write failed', { err });
    });
    return this.outChain;
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    if (frame.kind === 'data') {
      const stream = this.streams.get(frame.streamId);
      stream?.receive(frame.payload, (frame.flags & flagFin) !== 0);
      return;
    }
    await this.handleControl(frame);
  }

  private async handleControl(frame: ControlFrame): Promise<void> {
    switch (frame.type) {
      case FrameType.synStream: {
        const syn = parseSynStream(frame.payload);
        // The inflater must see every block, even of streams we then refuse.
        const headers = await this.inflater.decompress(syn.headerBlock);
        if (this.closed) return;
        if (this.goneAway || this.streams.has(syn.streamId) || syn.streamId % 2 === 0) {
          this.reset(syn.streamId, 1);
          return;
        }
        const stream = new SpdyStream(syn.streamId, headers, this);
        stream.on('error', () => undefined);
        this.streams.set(syn.streamId, stream);
        const block = this.deflater.compress({});
        void this.send(block.then((b) => encodeSynReply(syn.streamId, 0, b)));
        if (frame.flags & flagFin) stream.receive(Buffer.alloc(0), true);
        this.options.onStream(stream);
        return;
      }
      case FrameType.rstStream: {
        const id = frame.payload.length >= 4 ? frame.payload.readUInt32BE(0) & 0x7fffffff : 0;
        this.streams.get(id)?.abort();
        return;
      }
      case FrameType.ping:
        if (frame.payload.length >= 4) void this.send(encodePing(frame.payload.readUInt32BE(0)));
        return;
      case FrameType.goaway:
        this.goneAway = true;
        return;
      case FrameType.headers:
        // Keep the inflate context in step even though the headers are not used.
        if (frame.payload.length > 4) await this.inflater.decompress(frame.payload.subarray(4));
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, SYN_REPLY and unknown types are ignored.
        return;
    }
  }
}

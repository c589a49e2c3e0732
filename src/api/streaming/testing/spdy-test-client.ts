/**
 * A tiny SPDY/3.1 client for tests: opens streams with compressed headers, sends DATA/FIN,
 * PING and GOAWAY, and records what the server sends per stream.
 */
import {
  FrameParser,
  FrameType,
  encodeControl,
  encodeData,
  encodeGoaway,
  encodePing,
  encodeSynStream,
  flagFin,
  type Frame,
} from '../spdy/framer.ts';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from '../spdy/header-codec.ts';

/** What the client saw on one stream. */
export interface ClientStream {
  id: number;
  replied: Promise<SpdyHeaders>;
  data: Buffer[];
  /** Resolves when the server sent FIN (or RST) on the stream. */
  ended: Promise<'fin' | 'rst'>;
  text(): string;
}

/** A test SPDY client writing through `write`. */
export class SpdyTestClient {
  private readonly parser = new FrameParser();
  private readonly deflater = new HeaderCompressor();
  private readonly inflater = new HeaderDecompressor();
  private readonly streams = new Map<
    number,
    ClientStream & { reply: (h: SpdyHeaders) => void; end: (how: 'fin' | 'rst') => void }
  >();
  private nextId = 1;
  private out: Promise<void> = Promise.resolve();
  private inChain: Promise<void> = Promise.resolve();
  /** PING ids echoed by the server. */
  readonly pings: number[] = [];

  constructor(private readonly write: (data: Buffer) => void) {}

  /** Feeds bytes received from the server. */
  receive(chunk: Buffer): void {
    for (const f of this.parser.push(chunk)) this.inChain = this.inChain.then(() => this.handle(f));
  }

  /** Opens a stream with `headers`. */
  open(headers: Record<string, string>, fin = false): ClientStream {
    const id = this.nextId;
    this.nextId += 2;
    let reply: (h: SpdyHeaders) => void = () => undefined;
    let end: (how: 'fin' | 'rst') => void = () => undefined;
    const data: Buffer[] = [];
    const s = {
      id,
      data,
      replied: new Promise<SpdyHeaders>((r) => (reply = r)),
      ended: new Promise<'fin' | 'rst'>((r) => (end = r)),
      text: () => Buffer.concat(data).toString(),
      reply: (h: SpdyHeaders) => reply(h),
      end: (how: 'fin' | 'rst') => end(how),
    };
    this.streams.set(id, s);
    const hs: SpdyHeaders = {};
    for (const [k, v] of Object.entries(headers)) hs[k] = [v];
    const block = this.deflater.compress(hs);
    this.enqueue(block.then((b) => encodeSynStream(id, fin ? flagFin : 0, b)));
    return s;
  }

  /** Sends data (and optionally FIN) on a stream. */
  send(id: number, data: Buffer | string, fin = false): void {
    this.enqueue(Promise.resolve(encodeData(id, fin ? flagFin : 0, Buffer.from(data))));
  }

  /** Sends a PING. */
  ping(id: number): void {
    this.enqueue(Promise.resolve(encodePing(id)));
  }

  /** Sends SETTINGS, WINDOW_UPDATE and GOAWAY frames the server must tolerate. */
  noise(): void {
    this.enqueue(Promise.resolve(encodeControl(FrameType.settings, 0, Buffer.from([0, 0, 0, 0]))));
    this.enqueue(Promise.resolve(encodeControl(FrameType.windowUpdate, 0, Buffer.alloc(8))));
  }

  /** Sends GOAWAY. */
  goaway(): void {
    this.enqueue(Promise.resolve(encodeGoaway(this.nextId - 2, 0)));
  }

  /** Resolves once everything queued was written. */
  flushed(): Promise<void> {
    return this.out;
  }

  /** Releases the zlib contexts. */
  close(): void {
    this.deflater.close();
    this.inflater.close();
  }

  private enqueue(frame: Promise<Buffer>): void {
    this.out = this.out.then(async () => this.write(await frame));
  }

  private async handle(f: Frame): Promise<void> {
    if (f.kind === 'data') {
      const s = this.streams.get(f.streamId);
      if (!s) return;
      if (f.payload.length) s.data.push(f.payload);
      if (f.flags & flagFin) s.end('fin');
      return;
    }
    if (f.type === FrameType.synReply) {
      const id = f.payload.readUInt32BE(0) & 0x7fffffff;
      const headers = await this.inflater.decompress(f.payload.subarray(4));
      this.streams.get(id)?.reply(headers);
    } else if (f.type === FrameType.rstStream) {
      this.streams.get(f.payload.readUInt32BE(0) & 0x7fffffff)?.end('rst');
    } else if (f.type === FrameType.ping) {
      this.pings.push(f.payload.readUInt32BE(0));
    }
  }
}

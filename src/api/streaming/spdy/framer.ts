/**
 * SPDY/3.1 framing: an incremental parser that accepts bytes at arbitrary chunk boundaries and
 * yields whole frames, plus encoders for the frames the server sends. Header blocks stay
 * compressed here; `header-codec.ts` deals with them.
 */

/** Control frame types of SPDY/3.1. */
export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goaway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** The FIN flag (last frame of a stream half). */
export const flagFin = 0x01;

/** A parsed SPDY control frame (payload not interpreted). */
export interface ControlFrame {
  kind: 'control';
  version: number;
  type: number;
  flags: number;
  payload: Buffer;
}

/** A parsed SPDY data frame. */
export interface DataFrame {
  kind: 'data';
  streamId: number;
  flags: number;
  payload: Buffer;
}

/** Any SPDY frame. */
export type Frame = ControlFrame | DataFrame;

const headerSize = 8;
/** Frames larger than this (16 MiB is the 24-bit maximum) are treated as a protocol error. */
const maxLength = 0xffffff;

/** Reassembles frames from a byte stream split anywhere. */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Feeds bytes; returns every frame now complete, in order. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < headerSize) break;
      const head = this.peek(headerSize);
      const length = head.readUIntBE(5, 3);
      if (length > maxLength) throw new Error('SPDY frame too large');
      if (this.buffered < headerSize + length) break;
      const whole = this.take(headerSize + length);
      const payload = whole.subarray(headerSize);
      const flags = whole[4] ?? 0;
      if ((whole[0] ?? 0) & 0x80) {
        frames.push({
          kind: 'control',
          version: whole.readUInt16BE(0) & 0x7fff,
          type: whole.readUInt16BE(2),
          flags,
          payload,
        });
      } else {
        frames.push({ kind: 'data', streamId: whole.readUInt32BE(0) & 0x7fffffff, flags, payload });
      }
    }
    return frames;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}

/** Encodes a control frame (version 3). */
export function encodeControl(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(headerSize);
  head.writeUInt16BE(0x8003, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(payload.length, 4);
  head[4] = flags;
  return Buffer.concat([head, payload]);
}

/** Encodes the 8-byte header of a data frame whose payload is `length` bytes long. */
export function encodeDataHeader(streamId: number, flags: number, length: number): Buffer {
  const head = Buffer.allocUnsafe(headerSize);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(length, 4);
  head[4] = flags;
  return head;
}

/**
 * A data frame as its header followed by the payload chunks, not copied: written together
 * (writev), they are one frame on the wire.
 */
export function encodeDataParts(
  streamId: number,
  flags: number,
  payload: Buffer | readonly Buffer[],
): Buffer[] {
  const parts = Buffer.isBuffer(payload) ? [payload] : payload;
  let length = 0;
  for (const p of parts) length += p.length;
  return [encodeDataHeader(streamId, flags, length), ...parts.filter((p) => p.length > 0)];
}

/** Encodes a data frame into one buffer. */
export function encodeData(
  streamId: number,
  flags: number,
  payload: Buffer | readonly Buffer[],
): Buffer {
  return Buffer.concat(encodeDataParts(streamId, flags, payload));
}

/** The fields of a SYN_STREAM payload. */
export interface SynStream {
  streamId: number;
  associatedId: number;
  priority: number;
  headerBlock: Buffer;
}

/** Splits a SYN_STREAM payload. */
export function parseSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new Error('short SYN_STREAM');
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedId: payload.readUInt32BE(4) & 0x7fffffff,
    priority: (payload[8] ?? 0) >> 5,
    headerBlock: payload.subarray(10),
  };
}

/** Encodes a SYN_STREAM (used by the test client). */
export function encodeSynStream(
  streamId: number,
  flags: number,
  headerBlock: Buffer,
  priority = 0,
): Buffer {
  const p = Buffer.alloc(10);
  p.writeUInt32BE(streamId, 0);
  p[8] = (priority & 7) << 5;
  return encodeControl(FrameType.synStream, flags, Buffer.concat([p, headerBlock]));
}

/** Encodes a SYN_REPLY. */
export function encodeSynReply(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(streamId, 0);
  return encodeControl(FrameType.synReply, flags, Buffer.concat([p, headerBlock]));
}

/** Encodes a RST_STREAM. */
export function encodeRstStream(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId, 0);
  p.writeUInt32BE(status, 4);
  return encodeControl(FrameType.rstStream, 0, p);
}

/** Encodes a GOAWAY. */
export function encodeGoaway(lastStreamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastStreamId, 0);
  p.writeUInt32BE(status, 4);
  return encodeControl(FrameType.goaway, 0, p);
}

/** Encodes a PING. */
export function encodePing(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return encodeControl(FrameType.ping, 0, p);
}

/** A minimal reader of the protobuf wire format (varints, length-delimited, fixed32/64). */

/** One field as read from the wire. */
export interface WireField {
  no: number;
  wireType: number;
  /** Varint value (as a bigint-safe number; int64 beyond 2^53 loses precision). */
  varint?: number;
  bytes?: Buffer;
}

/** Reads every field of one message. Throws on malformed input. */
export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new Error('unexpected end of data');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) out.push({ no, wireType, varint: varint() });
    else if (wireType === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('length-delimited field runs past the end');
      out.push({ no, wireType, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wireType === 1) {
      out.push({ no, wireType, bytes: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wireType === 5) {
      out.push({ no, wireType, bytes: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unsupported wire type ${wireType}`);
  }
  return out;
}

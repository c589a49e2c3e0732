import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FrameParser,
  FrameType,
  encodeData,
  encodeDataParts,
  encodeGoaway,
  encodePing,
  encodeSynStream,
  flagFin,
  parseSynStream,
  type Frame,
} from './framer.ts';
import {
  HeaderCompressor,
  HeaderDecompressor,
  decodeHeaderBlock,
  encodeHeaderBlock,
} from './header-codec.ts';

function sample(): Buffer[] {
  return [
    encodeSynStream(1, 0, Buffer.from('headerblock')),
    encodeData(1, 0, Buffer.from('hello')),
    encodeData(3, flagFin, Buffer.alloc(0)),
    encodePing(7),
    encodeData(5, 0, Buffer.alloc(70_000, 0xab)),
    encodeGoaway(5, 0),
  ];
}

function check(frames: Frame[]): void {
  assert.equal(frames.length, 6);
  const [syn, d1, fin, ping, big, goaway] = frames;
  assert.ok(syn?.kind === 'control' && syn.type === FrameType.synStream && syn.version === 3);
  assert.equal(parseSynStream(syn.payload).streamId, 1);
  assert.equal(parseSynStream(syn.payload).headerBlock.toString(), 'headerblock');
  assert.ok(d1?.kind === 'data' && d1.streamId === 1 && d1.payload.toString() === 'hello');
  assert.ok(
    fin?.kind === 'data' && fin.streamId === 3 && fin.flags === flagFin && fin.payload.length === 0,
  );
  assert.ok(
    ping?.kind === 'control' && ping.type === FrameType.ping && ping.payload.readUInt32BE(0) === 7,
  );
  assert.ok(
    big?.kind === 'data' && big.payload.length === 70_000 && big.payload.every((b) => b === 0xab),
  );
  assert.ok(goaway?.kind === 'control' && goaway.type === FrameType.goaway);
}

test('framer round trip in one chunk', () => {
  check(new FrameParser().push(Buffer.concat(sample())));
});

test('framer round trip byte by byte and at random boundaries', () => {
  const all = Buffer.concat(sample());
  const p1 = new FrameParser();
  const frames: Frame[] = [];
  for (let i = 0; i < all.length; i++) frames.push(...p1.push(all.subarray(i, i + 1)));
  check(frames);
  for (let round = 0; round < 20; round++) {
    const p = new FrameParser();
    const got: Frame[] = [];
    let off = 0;
    while (off < all.length) {
      const n = Math.floor(Math.random() * 300);
      got.push(...p.push(all.subarray(off, off + n)));
      off += n;
    }
    check(got);
  }
});

test('header block encode/decode keeps multi-valued headers', () => {
  const h = { streamtype: ['data'], port: ['80'], multi: ['a', 'b'] };
  assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock(h)), h);
});

test('header compression: one context per direction across many blocks', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const blocks = [
    { streamtype: ['error'], port: ['80'], requestid: ['0'] },
    { streamtype: ['data'], port: ['80'], requestid: ['0'] },
    {},
    { streamtype: ['error'], port: ['8080'], requestid: ['1'] },
  ];
  const compressed = await Promise.all(blocks.map((b) => c.compress(b)));
  // Later blocks reuse the shared window: they must not decode on a fresh context.
  assert.ok((compressed[1]?.length ?? 0) < (compressed[0]?.length ?? 0));
  const decoded = await Promise.all(compressed.map((b) => d.decompress(b)));
  assert.deepEqual(decoded, blocks);
  const fresh = new HeaderDecompressor();
  await assert.rejects(fresh.decompress(compressed[1] ?? Buffer.alloc(0)));
  c.close();
  d.close();
  fresh.close();
});

test('a data frame as parts: header then the payload chunks themselves, uncopied', () => {
  const a = Buffer.from('abc');
  const b = Buffer.alloc(70_000, 0xcd);
  const parts = encodeDataParts(9, flagFin, [a, Buffer.alloc(0), b]);
  assert.equal(parts.length, 3);
  assert.equal(parts[1], a);
  assert.equal(parts[2], b);
  assert.deepEqual(Buffer.concat(parts), encodeData(9, flagFin, Buffer.concat([a, b])));
  const [frame] = new FrameParser().push(Buffer.concat(parts));
  assert.ok(frame?.kind === 'data' && frame.streamId === 9 && frame.flags === flagFin);
  assert.equal(frame.payload.length, 70_003);
  assert.equal(encodeDataParts(3, flagFin, Buffer.alloc(0)).length, 1);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nullLogger } from '../../../lib/log.ts';
import { SpdyTestClient } from '../testing/spdy-test-client.ts';
import {
  FrameParser,
  FrameType,
  encodeControl,
  encodeRstStream,
  encodeSynStream,
  type Frame,
} from './framer.ts';
import { SpdySession } from './spdy-session.ts';
import type { SpdyStream } from './spdy-stream.ts';

function pair() {
  const fromServer: Frame[] = [];
  const parser = new FrameParser();
  let closed = 0;
  const streams: SpdyStream[] = [];
  const ref: { client?: SpdyTestClient } = {};
  const session = new SpdySession(
    {
      write: (parts, done) => {
        const data = Buffer.concat(parts);
        fromServer.push(...parser.push(data));
        ref.client?.receive(data);
        done();
      },
      close: () => {
        closed++;
      },
    },
    { log: nullLogger, onStream: (s) => streams.push(s) },
  );
  const client = new SpdyTestClient((b) => session.receive(b));
  ref.client = client;
  return { session, client, fromServer, streams, closed: () => closed };
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

test('every SYN_STREAM gets a SYN_REPLY, data and FIN reach the stream', async () => {
  const { client, streams } = pair();
  const a = client.open({ streamtype: 'data', port: '80' });
  const b = client.open({ streamtype: 'error' }, true);
  await a.replied;
  await b.replied;
  client.send(a.id, 'abc', true);
  await tick();
  assert.equal(streams.length, 2);
  assert.equal(streams[0]?.header('port'), '80');
  const got: Buffer[] = [];
  streams[0]?.on('data', (d: Buffer) => got.push(d));
  await new Promise((r) => streams[0]?.once('end', r));
  assert.equal(Buffer.concat(got).toString(), 'abc');
  streams[0]?.end('reply');
  assert.equal(await a.ended, 'fin');
  assert.equal(a.text(), 'reply');
  client.close();
});

test('writes after RST_STREAM and after GOAWAY are harmless; new streams after GOAWAY are refused', async () => {
  const { session, client, streams, fromServer } = pair();
  const a = client.open({ streamtype: 'data' });
  await a.replied;
  await tick();
  session.receive(encodeRstStream(a.id, 5));
  await tick();
  assert.doesNotThrow(() => streams[0]?.write('late'));
  client.goaway();
  await client.flushed();
  const b = client.open({ streamtype: 'data' });
  await client.flushed();
  await tick();
  assert.equal(streams.length, 1);
  assert.equal(await b.ended, 'rst');
  assert.ok(fromServer.every((f) => f.kind === 'control' || f.payload.toString() !== 'late'));
  client.close();
});

test('a corrupt header block closes the session without throwing', async () => {
  const { session, closed } = pair();
  session.receive(encodeSynStream(1, 0, Buffer.from('not zlib at all')));
  await tick();
  assert.equal(closed(), 1);
  assert.equal(session.isClosed, true);
  assert.doesNotThrow(() => session.receive(Buffer.from('more garbage after close')));
});

test('unknown control frames, SETTINGS and WINDOW_UPDATE are ignored', async () => {
  const { session, client, closed } = pair();
  session.receive(encodeControl(FrameType.settings, 0, Buffer.alloc(4)));
  session.receive(encodeControl(FrameType.windowUpdate, 0, Buffer.alloc(8)));
  session.receive(encodeControl(42, 0, Buffer.from('whatever')));
  const a = client.open({ streamtype: 'data' });
  await a.replied;
  assert.equal(closed(), 0);
  client.close();
  session.close();
});

test('chunks written while a frame is in flight go out together, bytes intact', async () => {
  const { client, streams, fromServer } = pair();
  const a = client.open({ streamtype: 'data', port: '80' });
  await a.replied;
  await tick();
  const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000, i));
  for (const c of chunks) streams[0]?.write(c);
  streams[0]?.end();
  assert.equal(await a.ended, 'fin');
  assert.deepEqual(Buffer.from(a.text(), 'latin1'), Buffer.concat(chunks));
  const dataFrames = fromServer.filter((f) => f.kind === 'data' && f.payload.length > 0);
  assert.ok(dataFrames.length < chunks.length, `${dataFrames.length} frames for 50 chunks`);
  client.close();
});

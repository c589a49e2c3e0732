import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import type { Duplex } from 'node:stream';
import { dialInNetns, stopNetnsHelpers } from './netns-dial.ts';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (ip netns, nsenter)';
const name = `pbdial${process.pid}`;
const netnsPath = `/run/netns/${name}`;
const port = 47_811;

/** A server inside the namespace, bound to 127.0.0.1: says who connected, then echoes. */
const serverSource = `
require('node:net').createServer((c) => { c.write(c.remoteAddress + '\\n'); c.pipe(c); })
  .listen(${port}, '127.0.0.1', () => console.log('listening'));
`;

let server: ChildProcess | undefined;

function makeNetns(): void {
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

async function startServer(): Promise<void> {
  server = spawn('nsenter', [`--net=${netnsPath}`, process.execPath, '-e', serverSource], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(server.stdout!, 'data');
}

function stopServer(): void {
  server?.kill();
  server = undefined;
}

async function firstLine(conn: Duplex): Promise<string> {
  let got = '';
  for await (const chunk of conn) {
    got += (chunk as Buffer).toString();
    if (got.includes('\n')) break;
  }
  return got.split('\n')[0] ?? '';
}

before(async () => {
  if (!isRoot) return;
  makeNetns();
  await startServer();
});

after(() => {
  if (!isRoot) return;
  stopServer();
  stopNetnsHelpers();
  execFileSync('ip', ['netns', 'del', name]);
});

test(
  'connections come from 127.0.0.1 inside the namespace; bytes both ways',
  { skip },
  async () => {
    const conns = await Promise.all([1, 2, 3].map(() => dialInNetns(netnsPath, port)));
    for (const conn of conns) {
      assert.equal(await firstLine(conn), '127.0.0.1');
      conn.destroy();
    }
    const conn = await dialInNetns(netnsPath, port);
    const big = Buffer.alloc(3 << 20, 0x61);
    const chunks: Buffer[] = [];
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.end(big);
    await once(conn, 'end');
    assert.equal(Buffer.concat(chunks).length, '127.0.0.1\n'.length + big.length);
    conn.destroy();
  },
);

test('a refused port is ECONNREFUSED', { skip }, async () => {
  await assert.rejects(dialInNetns(netnsPath, port + 1), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ECONNREFUSED');
    assert.match(e.message, /ECONNREFUSED localhost:47812/);
    return true;
  });
});

test('a namespace recreated at the same path gets a new helper', { skip }, async () => {
  (await dialInNetns(netnsPath, port)).destroy();
  stopServer();
  execFileSync('ip', ['netns', 'del', name]);
  makeNetns();
  await startServer();
  const conn = await dialInNetns(netnsPath, port);
  assert.equal(await firstLine(conn), '127.0.0.1');
  conn.destroy();
});

test('a missing namespace is an error, not a hang', { skip }, async () => {
  await assert.rejects(dialInNetns('/run/netns/pb-does-not-exist', port), /cannot connect/);
});

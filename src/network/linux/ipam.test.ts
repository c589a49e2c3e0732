import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ipam } from './ipam.ts';

test('Ipam allocates lowest free, is idempotent per owner, persists and releases', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podbay-ipam-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'ipam.json');
  const a = new Ipam('10.88.0.0/16', file);
  assert.equal(a.gateway, '10.88.0.1');
  assert.equal(await a.allocate('p1'), '10.88.0.2');
  assert.equal(await a.allocate('p2'), '10.88.0.3');
  assert.equal(await a.allocate('p1'), '10.88.0.2');
  const b = new Ipam('10.88.0.0/16', file);
  assert.equal(await b.allocate('p3'), '10.88.0.4');
  await b.release('p1');
  assert.equal(await b.allocate('p4'), '10.88.0.2');
});

test('Ipam reports exhaustion', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podbay-ipam-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = new Ipam('192.168.5.0/30', join(dir, 'ipam.json'));
  assert.equal(await a.allocate('x'), '192.168.5.2');
  await assert.rejects(a.allocate('y'), /no free address/);
});

/**
 * Durability (issue 2): a daemon stopped and started again on the same data directory keeps
 * every object and its resourceVersion, and a watcher that reconnects with its last
 * resourceVersion receives every change made while it was away. Also: one daemon per data dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, resources } from '../../src/client/kube-client.ts';
import { httpTransport } from '../../src/client/http-transport.ts';
import { startTestDaemon } from '../support/daemon.ts';
import { spawnUp, urlOf } from '../support/podbay-up.ts';
import type { KubeObject } from '../../src/k8s/types/meta.ts';

const cm = (name: string, v: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { v },
});

test('objects and resourceVersions survive a restart; a resumed watch misses nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'podbay-restart-'));
  let d = await startTestDaemon(dataDir);
  try {
    let client = new KubeClient({ transport: httpTransport({ server: d.daemon.url }) });
    const a = await client.create(resources.configMaps, 'default', cm('a', '1'));
    const list = await client.list(resources.configMaps, 'default');
    const rv = list.metadata.resourceVersion!;
    await d.stopKeepingData();

    d = await startTestDaemon(dataDir);
    client = new KubeClient({ transport: httpTransport({ server: d.daemon.url }) });
    const again = await client.get(resources.configMaps, 'default', 'a');
    assert.equal(again.metadata.uid, a.metadata.uid);
    assert.equal(again.metadata.resourceVersion, a.metadata.resourceVersion);
    await client.create(resources.configMaps, 'default', cm('b', '2'));
    await client.patch(resources.configMaps, 'default', 'a', { data: { v: '3' } }, 'merge');
    await client.delete(resources.configMaps, 'default', 'b');
    const b = await client.list(resources.configMaps, 'default');
    assert.ok(Number(b.metadata.resourceVersion) > Number(rv));

    const ac = new AbortController();
    const seen: string[] = [];
    for await (const ev of client.watch(
      resources.configMaps,
      'default',
      { resourceVersion: rv },
      ac.signal,
    )) {
      // The daemon's own objects (kube-root-ca.crt) may land in between: only ours count.
      if (!['a', 'b'].includes(ev.object.metadata.name ?? '')) continue;
      seen.push(`${ev.type} ${ev.object.metadata.name ?? ''}`);
      if (seen.length === 3) break;
    }
    ac.abort();
    assert.deepEqual(seen, ['ADDED b', 'MODIFIED a', 'DELETED b']);
  } finally {
    await d.stop();
  }
});

test('a second daemon on the same data directory is refused; kill -9 leaves the data intact', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'podbay-lock-'));
  const child = spawnUp(dataDir, ['--no-node-agent']);
  try {
    const url = await urlOf(dataDir, child);
    await assert.rejects(
      startTestDaemon(dataDir),
      /another daemon \(pid \d+\) is using data directory/,
    );
    const client = new KubeClient({ transport: httpTransport({ server: url }) });
    const created = await client.create(resources.configMaps, 'default', cm('kept', 'x'));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const d = await startTestDaemon(dataDir);
    try {
      const c2 = new KubeClient({ transport: httpTransport({ server: d.daemon.url }) });
      const got = await c2.get(resources.configMaps, 'default', 'kept');
      assert.equal(got.metadata.resourceVersion, created.metadata.resourceVersion);
    } finally {
      await d.stop();
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

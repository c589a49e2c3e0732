import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ImagePullError } from '../../container-runtime.ts';
import { MEDIA } from './manifests.ts';
import { RegistryPuller, type PullProgress } from './registry-puller.ts';
import { DirLayerSink } from './testing/dir-layer-sink.ts';
import {
  buildImage,
  FakeRegistry,
  indexOf,
  tarOf,
  type BuiltImage,
} from './testing/fake-registry.ts';

describe('RegistryPuller against an in-process registry', () => {
  const reg = new FakeRegistry();
  let work: string;
  let amd: BuiltImage;
  let arm: BuiltImage;
  let indexDigest: string;
  let n = 0;
  const sink = (): DirLayerSink => new DirLayerSink(join(work, `sink-${String(n++)}`));
  const puller = (): RegistryPuller => new RegistryPuller({ backoffMs: 5 });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'podbay-puller-'));
    await reg.start();
    amd = buildImage([
      await tarOf({ 'bin/': '', 'bin/hello': 'amd64 hello' }),
      await tarOf({ 'etc/': '', 'etc/motd': 'layer two' }),
    ]);
    arm = buildImage([await tarOf({ 'bin/': '', 'bin/hello': 'arm64 hello' })], 'arm64');
    for (const repo of ['library/busybox', 'private/app']) {
      reg.putImage(repo, 'amd-only', amd);
      reg.putImage(repo, 'arm-only', arm);
      const index = indexOf([
        { image: arm, architecture: 'arm64' },
        { image: amd, architecture: 'amd64' },
      ]);
      indexDigest = reg.putManifest(repo, '1.36', index, MEDIA.ociIndex);
    }
  });
  beforeEach(() => {
    reg.auth = 'none';
    reg.truncateOnce.clear();
    reg.corrupt.clear();
    reg.faults.length = 0;
    reg.requests.length = 0;
  });
  after(async () => {
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('pulls an index: picks linux/amd64, verifies and unpacks layers, records digests', async () => {
    const s = sink();
    const ref = `${reg.host}/library/busybox:1.36`;
    const events: PullProgress[] = [];
    const info = await new RegistryPuller({ onProgress: (e) => events.push(e) }).pull(ref, [], s);
    assert.equal(events[0]?.type, 'resolved');
    assert.equal(events.filter((e) => e.type === 'layer-done').length, 2);
    const last = events.filter((e) => e.type === 'layer-bytes').at(-1);
    assert.ok(last?.type === 'layer-bytes' && last.received === last.total);
    assert.deepEqual(info.repoTags, [ref]);
    assert.deepEqual(info.repoDigests, [`${reg.host}/library/busybox@${indexDigest}`]);
    const l0 = amd.layers[0]?.diffId ?? '';
    assert.equal(readFileSync(join(s.layerPath(l0), 'bin/hello'), 'utf8'), 'amd64 hello');
    assert.equal(s.fills, 2);
    assert.ok(!reg.requests.some((r) => r.includes(arm.layers[0]?.digest ?? 'x')));
    assert.equal(reg.requests[0], `HEAD /v2/library/busybox/manifests/1.36`);

    reg.requests.length = 0;
    await puller().pull(ref, [], s);
    assert.equal(s.fills, 2, 'second pull unpacks nothing');
    assert.equal(
      reg.requests.filter((r) => r.startsWith('GET /v2/library/busybox/blobs/')).length,
      1,
    );

    const armSink = sink();
    await new RegistryPuller({ platform: { os: 'linux', architecture: 'arm64' } }).pull(
      ref,
      [],
      armSink,
    );
    const a0 = arm.layers[0]?.diffId ?? '';
    assert.equal(readFileSync(join(armSink.layerPath(a0), 'bin/hello'), 'utf8'), 'arm64 hello');
  });

  it('pulls by digest and through a docker.io mirror', async () => {
    const s = sink();
    const byDigest = await puller().pull(
      `${reg.host}/library/busybox@${amd.manifestDigest}`,
      [],
      s,
    );
    assert.deepEqual(byDigest.repoTags, []);
    assert.deepEqual(byDigest.repoDigests, [`${reg.host}/library/busybox@${amd.manifestDigest}`]);
    const mirrored = new RegistryPuller({
      registries: { mirrors: { 'docker.io': [`http://${reg.host}`] } },
      noUpstream: true,
    });
    const info = await mirrored.pull('busybox:1.36', [], sink());
    assert.deepEqual(info.repoTags, ['docker.io/library/busybox:1.36']);
    assert.deepEqual(info.repoDigests, [`docker.io/library/busybox@${indexDigest}`]);
  });

  it('reports a missing tag as containerd does', async () => {
    const ref = `${reg.host}/library/busybox:nope`;
    await assert.rejects(puller().pull(ref, [], sink()), (e: Error) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(
        e.message,
        `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
      );
      return true;
    });
  });

  it('does Bearer token auth: anonymous for public repos, credentials for private ones', async () => {
    reg.auth = 'bearer';
    await puller().pull(`${reg.host}/library/busybox:1.36`, [], sink());
    assert.ok(reg.requests.includes('GET /token'));
    const priv = `${reg.host}/private/app:1.36`;
    await assert.rejects(
      puller().pull(priv, [], sink()),
      /failed to resolve reference ".*": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed$/,
    );
    const wrong = { username: 'alice', password: 'nope' };
    await assert.rejects(
      puller().pull(priv, [wrong], sink()),
      /failed to authorize: failed to fetch oauth token: unexpected status from GET request to http:\/\/127\.0\.0\.1:\d+\/token\?scope=repository%3Aprivate%2Fapp%3Apull&service=fake: 401 Unauthorized$/,
    );
    const good = { username: 'alice', password: 'secret' };
    const info = await puller().pull(priv, [wrong, good], sink());
    assert.deepEqual(info.repoTags, [priv]);
    reg.faults.push({ match: /^GET \/token$/, status: 401 });
    await assert.rejects(
      puller().pull(`${reg.host}/library/busybox:1.36`, [], sink()),
      /failed to authorize: failed to fetch anonymous token: unexpected status from GET request to .*: 401 Unauthorized$/,
    );
  });

  it('does Basic auth', async () => {
    reg.auth = 'basic';
    const ref = `${reg.host}/private/app:1.36`;
    await assert.rejects(
      puller().pull(ref, [], sink()),
      /pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials$/,
    );
    await assert.rejects(
      puller().pull(ref, [{ username: 'alice', password: 'bad' }], sink()),
      /unexpected status from HEAD request to http:\/\/.*\/v2\/private\/app\/manifests\/1\.36: 401 Unauthorized$/,
    );
    const info = await new RegistryPuller({
      registries: { configs: { [reg.host]: { auth: { username: 'alice', password: 'secret' } } } },
    }).pull(ref, [], sink());
    assert.equal(info.repoTags[0], ref);
  });

  it('retries transient 5xx with back-off and reports a persistent one', async () => {
    const ref = `${reg.host}/library/busybox:amd-only`;
    reg.faults.push({ match: /^HEAD .*manifests/, status: 503 }, { match: /blobs/, status: 500 });
    await puller().pull(ref, [], sink());
    for (let i = 0; i < 3; i++) reg.faults.push({ match: /^HEAD .*manifests/, status: 500 });
    await assert.rejects(
      puller().pull(ref, [], sink()),
      /rpc error: code = Unknown desc = failed to pull and unpack image ".*": failed to resolve reference ".*": unexpected status from HEAD request to http:\/\/.*: 500 Internal Server Error$/,
    );
  });

  it('retries a layer whose connection is reset mid-stream', async () => {
    const s = sink();
    reg.truncateOnce.add(amd.layers[0]?.digest ?? '');
    await puller().pull(`${reg.host}/library/busybox:amd-only`, [], s);
    const l0 = amd.layers[0]?.diffId ?? '';
    assert.equal(readFileSync(join(s.layerPath(l0), 'bin/hello'), 'utf8'), 'amd64 hello');
    const gets = reg.requests.filter(
      (r) => r === `GET /v2/library/busybox/blobs/${amd.layers[0]?.digest ?? ''}`,
    );
    assert.equal(gets.length, 2);
    assert.ok(!s.entries().some((e) => e.startsWith('.tmp-')));
  });

  it('reads Docker schema2 manifest lists and manifests', async () => {
    const toDocker = (b: Buffer, from: string, to: string): Buffer =>
      Buffer.from(b.toString().replaceAll(from, to));
    const manifest = toDocker(
      toDocker(amd.manifest, MEDIA.ociManifest, MEDIA.dockerManifest),
      MEDIA.ociLayerGzip,
      MEDIA.dockerLayerGzip,
    );
    const mDigest = reg.putManifest('library/docker', 'x', manifest, MEDIA.dockerManifest);
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.dockerList,
        manifests: [
          {
            mediaType: MEDIA.dockerManifest,
            digest: mDigest,
            size: manifest.length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    const listDigest = reg.putManifest('library/docker', 'v2', list, MEDIA.dockerList);
    reg.blobs.set(`sha256:${createHash('sha256').update(amd.config).digest('hex')}`, amd.config);
    const info = await puller().pull(`${reg.host}/library/docker:v2`, [], sink());
    assert.deepEqual(info.repoDigests, [`${reg.host}/library/docker@${listDigest}`]);
  });

  it('unpacks zstd layers (sniffed, decoded by the zstd binary)', async (t) => {
    const tarBytes = await tarOf({ 'z.txt': 'zstd layer' });
    const z = spawnSync('zstd', ['-q', '-c'], { input: tarBytes });
    if (z.status !== 0) {
      t.skip('zstd binary unavailable');
      return;
    }
    const img = buildImage([tarBytes]);
    const layer = img.layers[0];
    assert.ok(layer !== undefined);
    const blob = Buffer.from(z.stdout);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    reg.blobs.set(digest, blob);
    reg.blobs.set(`sha256:${createHash('sha256').update(img.config).digest('hex')}`, img.config);
    const manifest = JSON.parse(img.manifest.toString()) as {
      layers: Array<{ mediaType: string; digest: string; size: number }>;
    };
    manifest.layers[0] = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
      digest,
      size: blob.length,
    };
    reg.putManifest('library/zstd', 'v1', Buffer.from(JSON.stringify(manifest)), MEDIA.ociManifest);
    const s = sink();
    await puller().pull(`${reg.host}/library/zstd:v1`, [], s);
    assert.equal(readFileSync(join(s.layerPath(layer.diffId), 'z.txt'), 'utf8'), 'zstd layer');
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    reg.faults.push({ match: /^HEAD .*manifests/, status: 503 });
    const p = new RegistryPuller({ backoffMs: 10_000 }).pull(
      `${reg.host}/library/busybox:amd-only`,
      [],
      sink(),
      ac.signal,
    );
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, /code = Canceled/);
  });

  it('fails on a corrupted blob and leaves nothing in the sink', async () => {
    const s = sink();
    reg.corrupt.add(amd.layers[1]?.digest ?? '');
    await assert.rejects(
      puller().pull(`${reg.host}/library/busybox:amd-only`, [], s),
      /failed commit on ref "layer-sha256:[a-f0-9]{64}": unexpected commit digest sha256:[a-f0-9]{64}, expected sha256:/,
    );
    assert.equal(s.images.length, 0);
    assert.ok(!existsSync(s.layerPath(amd.layers[1]?.diffId ?? '')));
    assert.ok(!s.entries().some((e) => e.startsWith('.tmp-')));
  });

  it('refuses a hostile layer and leaves nothing in the sink', async () => {
    const { pack } = await import('tar-stream');
    const p = pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
    })();
    p.entry({ name: 'ok.txt' }, 'fine');
    p.entry({ name: '../../etc/passwd' }, 'root::0:0::/:/bin/sh\n');
    p.finalize();
    await done;
    reg.putImage('library/hostile', 'v1', buildImage([Buffer.concat(chunks)]));
    const s = sink();
    await assert.rejects(
      puller().pull(`${reg.host}/library/hostile:v1`, [], s),
      /failed to pull and unpack image ".*": failed to extract layer sha256:[a-f0-9]{64}: layer entry "..\/..\/etc\/passwd" escapes the layer root$/,
    );
    assert.deepEqual(s.entries(), []);
    assert.equal(s.images.length, 0);
  });

  it('fails when a layer does not match its diff_id', async () => {
    const bad = buildImage([await tarOf({ 'x.txt': 'x' })]);
    const good = buildImage([await tarOf({ 'y.txt': 'y' })]);
    const config = Buffer.from(
      bad.config.toString().replace(bad.layers[0]?.diffId ?? '', good.layers[0]?.diffId ?? ''),
    );
    const manifest = JSON.parse(bad.manifest.toString()) as {
      config: { digest: string; size: number };
    };
    manifest.config.digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    manifest.config.size = config.length;
    reg.blobs.set(manifest.config.digest, config);
    for (const l of bad.layers) reg.blobs.set(l.digest, l.blob);
    reg.putManifest(
      'library/forged',
      'v1',
      Buffer.from(JSON.stringify(manifest)),
      MEDIA.ociManifest,
    );
    const s = sink();
    await assert.rejects(
      puller().pull(`${reg.host}/library/forged:v1`, [], s),
      /failed to extract layer sha256:[a-f0-9]+: layer sha256:[a-f0-9]+ unpacked to diff_id/,
    );
    assert.equal(s.images.length, 0);
    assert.deepEqual(s.entries(), []);
  });

  it('names an unknown registry host as containerd does', async () => {
    const ref = 'nonexistent.invalid/app:1';
    await assert.rejects(
      new RegistryPuller({ attempts: 1 }).pull(ref, [], sink()),
      /failed to resolve reference "nonexistent\.invalid\/app:1": failed to do request: Head "https:\/\/nonexistent\.invalid\/v2\/app\/manifests\/1": dial tcp: lookup nonexistent\.invalid: no such host$/,
    );
  });

  it('rejects malformed references and unreachable registries clearly', async () => {
    await assert.rejects(
      puller().pull('UPPER/Case:1', [], sink()),
      /couldn't parse image reference "UPPER\/Case:1": invalid reference format: repository name must be lowercase/,
    );
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = String((closed.address() as AddressInfo).port);
    await new Promise((r) => closed.close(r));
    const ref = `127.0.0.1:${port}/library/busybox:1`;
    await assert.rejects(new RegistryPuller({ attempts: 1 }).pull(ref, [], sink()), (e: Error) => {
      assert.equal(
        e.message,
        `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": failed to do request: Head "http://127.0.0.1:${port}/v2/library/busybox/manifests/1": dial tcp 127.0.0.1:${port}: connect: connection refused`,
      );
      return true;
    });
  });
});

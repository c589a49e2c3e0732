// RegistryPuller against Debian's docker-registry (Distribution 2.8) on loopback, filled with the
// busybox image built from busybox-static: index → linux/amd64, digest-verified layers unpacked
// into a directory sink, layers skipped on a second pull, a missing tag worded as containerd
// does, a docker.io mirror, and a private (htpasswd) registry with and without credentials.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalImageStore } from '../../src/runtime/images/local-image-store.ts';
import { credentialsFor, RegistryPuller } from '../../src/runtime/images/registry/index.ts';
import { DirLayerSink } from '../../src/runtime/images/registry/testing/dir-layer-sink.ts';
import { pushImage, type BlobSource } from '../../scripts/images/oci-push.ts';
import { tarOf } from '../../src/runtime/images/registry/testing/fake-registry.ts';
import {
  registrySkipReason,
  startTestRegistry,
  startTokenServer,
  type TestRegistry,
} from '../support/registry.ts';

const skip = registrySkipReason({ auth: true });

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
function layerBlob(tar: Buffer): BlobSource & { diffId: string } {
  const bytes = gzipSync(tar);
  return { bytes, digest: sha(bytes), size: bytes.length, diffId: sha(tar) };
}

describe('registry pull (docker-registry on loopback)', { skip }, () => {
  let pub: TestRegistry | undefined;
  let priv: TestRegistry | undefined;
  let work = '';
  let digest = '';
  let diffId = '';
  const creds = { username: 'alice', password: 's3cret' };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'podbay-registry-pull-'));
    pub = await startTestRegistry();
    const pushed = await pub.pushBusybox();
    digest = pushed.digest;
    diffId = pushed.layer.diffId;
    priv = await startTestRegistry({ auth: creds });
    await priv.pushBusybox('private/busybox', ['1.36']);
  });
  after(async () => {
    await pub?.stop();
    await priv?.stop();
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('pulls busybox:1.36, verifies it, unpacks the layer, and skips it the second time', async () => {
    const host = pub?.host ?? '';
    const sink = new DirLayerSink(join(work, 'a'));
    const puller = new RegistryPuller();
    const info = await puller.pull(`${host}/library/busybox:1.36`, [], sink);
    assert.deepEqual(info.repoTags, [`${host}/library/busybox:1.36`]);
    assert.deepEqual(info.repoDigests, [`${host}/library/busybox@${digest}`]);
    const layer = sink.layerPath(diffId);
    const bb = lstatSync(join(layer, 'bin/busybox'));
    assert.ok(bb.isFile() && bb.size > 500_000);
    assert.equal(bb.mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(layer, 'bin/sh')), 'busybox');
    assert.equal(readlinkSync(join(layer, 'usr/bin/wget')), '../../bin/busybox');
    assert.equal(lstatSync(join(layer, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(sink.fills, 1);
    const again = await puller.pull(`${host}/library/busybox:1.28`, [], sink);
    assert.equal(again.id, info.id);
    assert.equal(sink.fills, 1, 'layer already present: not fetched again');
  });

  it('pulls into the real LocalImageStore through its ImageService', async () => {
    const host = pub?.host ?? '';
    const store = new LocalImageStore({ root: join(work, 'store'), puller: new RegistryPuller() });
    const ref = `${host}/library/busybox:latest`;
    const info = await store.pullImage(ref, []);
    assert.deepEqual(info.repoDigests, [`${host}/library/busybox@${digest}`]);
    assert.deepEqual(info.config.cmd, ['sh']);
    assert.ok(lstatSync(join(store.layerDir(diffId), 'bin/busybox')).isFile());
    assert.equal((await store.imageStatus(ref))?.id, info.id);
  });

  it('reports a missing tag with the registry reason', async () => {
    const ref = `${pub?.host ?? ''}/library/busybox:nope`;
    await assert.rejects(new RegistryPuller().pull(ref, [], new DirLayerSink(join(work, 'b'))), {
      name: 'ImagePullError',
      message: `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
    });
  });

  it('serves docker.io references through a mirror', async () => {
    const puller = new RegistryPuller({
      registries: { mirrors: { 'docker.io': [`http://${pub?.host ?? ''}`] } },
      noUpstream: true,
    });
    const info = await puller.pull('busybox', [], new DirLayerSink(join(work, 'c')));
    assert.deepEqual(info.repoTags, ['docker.io/library/busybox:latest']);
    assert.deepEqual(info.repoDigests, [`docker.io/library/busybox@${digest}`]);
  });

  it(
    'converts whiteouts so an overlay mount of the pulled layers hides deleted files',
    { skip: process.getuid?.() !== 0 && 'needs root (mknod, trusted xattrs, mount)' },
    async () => {
      const base = await tarOf({
        'data/': '',
        'data/keep.txt': 'keep',
        'data/remove-me.txt': 'gone',
        'www/': '',
        'www/old.html': 'old',
      });
      const top = await tarOf({
        'data/.wh.remove-me.txt': '',
        'www/': '',
        'www/.wh..wh..opq': '',
        'www/new.html': 'new',
      });
      const layers = [base, top].map((t) => layerBlob(t));
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        }),
      );
      await pushImage(
        { url: pub?.url ?? '' },
        'test/whiteout',
        ['v1'],
        [{ architecture: 'amd64', config, layers }],
      );
      const sink = new DirLayerSink(join(work, 'wh'));
      await new RegistryPuller().pull(`${pub?.host ?? ''}/test/whiteout:v1`, [], sink);
      const [lower, upper] = layers.map((l) => sink.layerPath(l.diffId));
      const merged = join(work, 'wh-merged');
      mkdirSync(merged);
      execFileSync('mount', [
        '-t',
        'overlay',
        'overlay',
        '-o',
        `ro,lowerdir=${upper ?? ''}:${lower ?? ''}`,
        merged,
      ]);
      try {
        assert.deepEqual(readdirSync(join(merged, 'data')).sort(), ['keep.txt']);
        assert.deepEqual(readdirSync(join(merged, 'www')).sort(), ['new.html']);
      } finally {
        execFileSync('umount', [merged]);
      }
    },
  );

  const noOpenssl = spawnSync('openssl', ['version']).status !== 0 && 'needs openssl (token cert)';
  it('does the Bearer token flow against a token-auth registry', { skip: noOpenssl }, async () => {
    const tokens = await startTokenServer({ user: creds });
    let tokReg: TestRegistry | undefined;
    try {
      await pub?.pushBusybox('private/busybox', ['1.36']);
      tokReg = await startTestRegistry({
        dataDir: pub?.dataDir ?? '',
        tokenAuth: {
          realm: tokens.realm,
          service: tokens.service,
          issuer: tokens.issuer,
          certFile: tokens.certFile,
        },
      });
      const host = tokReg.host;
      const info = await new RegistryPuller().pull(
        `${host}/library/busybox:1.36`,
        [],
        new DirLayerSink(join(work, 't1')),
      );
      assert.deepEqual(info.repoDigests, [`${host}/library/busybox@${digest}`]);
      assert.deepEqual(tokens.requests[0], {
        who: 'anonymous',
        scope: 'repository:library/busybox:pull',
      });
      const priv = `${host}/private/busybox:1.36`;
      await assert.rejects(
        new RegistryPuller().pull(priv, [], new DirLayerSink(join(work, 't2'))),
        /pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed$/,
      );
      await assert.rejects(
        new RegistryPuller().pull(
          priv,
          [{ username: 'alice', password: 'wrong' }],
          new DirLayerSink(join(work, 't3')),
        ),
        /failed to authorize: failed to fetch oauth token: unexpected status from GET request to http:\/\/127\.0\.0\.1:\d+\/token\?scope=repository%3Aprivate%2Fbusybox%3Apull&service=podbay-test-registry: 401 Unauthorized$/,
      );
      const ok = await new RegistryPuller().pull(priv, [creds], new DirLayerSink(join(work, 't4')));
      assert.deepEqual(ok.repoTags, [priv]);
    } finally {
      await tokReg?.stop();
      await tokens.stop();
    }
  });

  it('pulls from a private registry with imagePullSecrets credentials, not without', async () => {
    const host = priv?.host ?? '';
    const ref = `${host}/private/busybox:1.36`;
    const sink = new DirLayerSink(join(work, 'd'));
    await assert.rejects(
      new RegistryPuller().pull(ref, [], sink),
      /failed to resolve reference ".*": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials$/,
    );
    assert.deepEqual(sink.entries(), []);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const secret = {
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': b64(
          JSON.stringify({
            auths: { [host]: { auth: b64(`${creds.username}:${creds.password}`) } },
          }),
        ),
      },
    };
    const auth = credentialsFor(host, [secret]);
    assert.equal(auth.length, 1);
    const info = await new RegistryPuller().pull(ref, auth, sink);
    assert.deepEqual(info.repoTags, [ref]);
    assert.ok(lstatSync(join(sink.layerPath(diffId), 'bin/busybox')).isFile());
  });
});

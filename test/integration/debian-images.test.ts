// The images built from Debian packages (scripts/images/debian-images.ts): build (cached), push
// to Debian's docker-registry on loopback, pull back through RegistryPuller into a
// LocalImageStore, then run them for real — nginx serving :80 in its own net/pid/mount
// namespaces over an overlay of the pulled layer, writing /var/log/nginx/access.log and
// answering /nginx_status; debian's dash/bash/coreutils; the alpine stand-in's busybox.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalImageStore } from '../../src/runtime/images/local-image-store.ts';
import { RegistryPuller } from '../../src/runtime/images/registry/index.ts';
import { buildDebianImages, type PushedDebianImage } from '../../scripts/images/debian-images.ts';
import {
  pushDebian,
  registrySkipReason,
  startTestRegistry,
  type TestRegistry,
} from '../support/registry.ts';

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (package file owners, mounts, namespaces)';
  for (const bin of ['apt-get', 'apt-cache', 'dpkg-deb', 'unshare', 'ip', 'ldconfig']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed`;
  }
  const probe = mkdtempSync(join(tmpdir(), 'podbay-apt-probe-'));
  const dl = spawnSync('apt-get', ['download', '-q', 'busybox-static'], { cwd: probe });
  rmSync(probe, { recursive: true, force: true });
  if (dl.status !== 0)
    return `apt-get download fails (offline?): ${dl.stderr.toString().slice(-200)}`;
  return registrySkipReason();
}
const skip = skipReason();

/**
 * Runs `script` as root of fresh mount/net/pid/uts namespaces with `$M` = an overlay of `lower`
 * (upper dir under `work`), /proc and /dev/null inside it and loopback up. Everything it mounts
 * dies with the namespaces.
 */
function inImage(lower: string, work: string, script: string): { code: number; out: string } {
  const upper = join(work, `upper-${String(Date.now())}`);
  for (const d of ['u', 'w', 'm']) mkdirSync(join(upper, d), { recursive: true });
  const prelude = [
    'set -e',
    'mount --make-rprivate /',
    `M=${upper}/m`,
    `mount -t overlay overlay -o lowerdir=${lower},upperdir=${upper}/u,workdir=${upper}/w $M`,
    'mount -t proc proc $M/proc',
    'mount -t tmpfs -o mode=755 tmpfs $M/dev',
    ': > $M/dev/null && mount --bind /dev/null $M/dev/null',
    'ip link set lo up',
    'set +e',
  ].join('\n');
  const r = spawnSync(
    'unshare',
    [
      '--mount',
      '--net',
      '--pid',
      '--uts',
      '--fork',
      '--kill-child',
      'sh',
      '-c',
      `${prelude}\n${script}`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  rmSync(upper, { recursive: true, force: true });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('images from Debian packages (debian, nginx, alpine-like)', { skip }, () => {
  let reg: TestRegistry | undefined;
  let work = '';
  let pushed: PushedDebianImage[] = [];
  let store: LocalImageStore | undefined;
  const lower: Record<string, string> = {};

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'podbay-debian-images-'));
    reg = await startTestRegistry();
    const t0 = Date.now();
    pushed = await pushDebian(reg);
    const first = Date.now() - t0;
    const t1 = Date.now();
    const again = await buildDebianImages();
    const cachedMs = Date.now() - t1;
    assert.ok(
      again.every((i) => i.cached),
      'second build comes from the cache',
    );
    assert.ok(cachedMs < 10_000, `cached build took ${String(cachedMs)} ms`);
    for (const p of pushed) {
      console.log(
        `# ${p.repo}: ${String(p.layer.size)} B gzip, ${String(p.tarSize)} B tar, ` +
          `${String(p.packages.length)} packages; build+push ${String(first)} ms, cached build ${String(cachedMs)} ms`,
      );
    }
    store = new LocalImageStore({ root: join(work, 'store'), puller: new RegistryPuller() });
  });
  after(async () => {
    await reg?.stop();
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  async function pull(name: string, tag: string): Promise<string> {
    const img = pushed.find((p) => p.repo === `library/${name}`);
    assert.ok(img !== undefined);
    const ref = `${reg?.host ?? ''}/library/${name}:${tag}`;
    const info = await store?.pullImage(ref, []);
    assert.deepEqual(info?.repoDigests, [`${reg?.host ?? ''}/library/${name}@${img.digest}`]);
    lower[name] = store?.layerDir(img.layer.diffId) ?? '';
    return lower[name];
  }

  it('nginx:1.27 pulls with the official config and serves :80, logging to access.log', async () => {
    const dir = await pull('nginx', '1.27');
    const info = await store?.imageStatus(`${reg?.host ?? ''}/library/nginx:1.27`);
    assert.deepEqual(info?.config.cmd, ['nginx', '-g', 'daemon off;']);
    assert.equal(info?.config.stopSignal, 'SIGQUIT');
    assert.deepEqual(info?.config.exposedPorts, ['80/tcp']);
    const r = inImage(
      dir,
      work,
      [
        'chroot $M nginx -t || exit 10',
        "chroot $M nginx -g 'daemon off;' & N=$!",
        'for i in $(seq 50); do [ -s $M/run/nginx.pid ] && break; sleep 0.1; done',
        'echo "== page"; busybox wget -q -O - -U podbay-test http://127.0.0.1/ || exit 11',
        'echo "== status"; busybox wget -q -O - http://127.0.0.1/nginx_status || exit 12',
        'echo "== log"; cat $M/var/log/nginx/access.log',
        'echo "== id"; chroot $M id nginx',
        'kill -QUIT $N; wait $N; echo "== exit $?"',
      ].join('\n'),
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /syntax is ok/);
    assert.match(r.out, /== page\n[\s\S]*<h1>Welcome to nginx!<\/h1>/);
    assert.match(r.out, /== status\nActive connections: 1\s*\nserver accepts handled requests/);
    assert.match(
      r.out,
      /== log\n127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 \d+ "-" "podbay-test"/,
    );
    assert.match(r.out, /uid=101\(nginx\) gid=101\(nginx\)/);
    assert.match(r.out, /== exit 0/);
    // The pulled layer itself is untouched (the log went to the overlay's upper dir).
    assert.equal(readFileSync(join(dir, 'var/log/nginx/access.log'), 'utf8'), '');
  });

  it('debian:bookworm runs sh/bash/coreutils and says it is Debian 12', async () => {
    const dir = await pull('debian', 'bookworm');
    const info = await store?.imageStatus(`${reg?.host ?? ''}/library/debian:bookworm`);
    assert.deepEqual(info?.config.cmd, ['bash']);
    const r = inImage(
      dir,
      work,
      [
        "chroot $M sh -c 'while true; do sleep 30; done' & S=$!",
        'sleep 0.3; kill -0 $S && echo loop-alive; kill $S',
        "chroot $M bash -c 'echo bash $BASH_VERSION; . /etc/os-release; echo $PRETTY_NAME'",
        'chroot $M sh -c \'ls / | tr "\\n" " "; echo; readlink /bin/sh; id -un; awk "BEGIN{print 6*7}"\'',
      ].join('\n'),
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /loop-alive/);
    assert.match(r.out, /bash 5\.2/);
    assert.match(r.out, /Debian GNU\/Linux 12 \(bookworm\)/);
    assert.match(
      r.out,
      /\nbin boot dev etc home lib lib64 proc root run sbin sys tmp usr var \ndash\nroot\n42/,
    );
  });

  it('alpine:3.19 is a busybox rootfs that calls itself an alpine-like stand-in', async () => {
    const dir = await pull('alpine', '3.19');
    const r = inImage(
      dir,
      work,
      "chroot $M /bin/sh -c '. /etc/os-release; echo $ID $VERSION_ID $VARIANT_ID; cat /etc/alpine-release; wget --help 2>&1 | head -1'",
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /alpine 3\.19\.0 podbay-stand-in\n3\.19\.0\nBusyBox v1\.35/);
  });
});

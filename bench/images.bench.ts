/**
 * Image pulls (issue 5): pull + unpack from a local `docker-registry` with podbay's puller into
 * a fresh store, next to `skopeo copy` + `umoci unpack` of the same image in the same run, for
 * busybox (one 1 MB layer), nginx (built from Debian packages, 14 MB gzip / 35 MB) and a larger
 * two-layer image (busybox + Python's standard library, ~54 MB unpacked, thousands of files). Medians over IMAGE_RUNS runs; ratio < 1 means faster.
 *
 *   npm run bench -- images        (needs docker-registry, skopeo, umoci; root for umoci)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalImageStore } from '../src/runtime/images/local-image-store.ts';
import { RegistryPuller } from '../src/runtime/images/registry/registry-puller.ts';
import {
  busyboxConfig,
  busyboxLayer,
  gzipLayer,
  pushBusybox,
} from '../scripts/images/busybox-image.ts';
import { pushImage } from '../scripts/images/oci-push.ts';
import { pushDebianImages } from '../scripts/images/debian-images.ts';
import { startRegistry } from '../scripts/images/registry-server.ts';
import { median } from './support.ts';

const runs = Number(process.env['IMAGE_RUNS'] ?? 5);
const bigSource = '/usr/lib/python3.11';

const has = (cmd: string): boolean => {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Runs the image benchmark and prints its figures. */
export async function benchImages(): Promise<void> {
  const missing = ['docker-registry', 'skopeo', 'umoci'].filter((c) => !has(c));
  if (missing.length || process.getuid?.() !== 0 || !existsSync(bigSource)) {
    console.log(`images: skipped (needs root, ${bigSource} and ${missing.join(', ') || 'tools'})`);
    return;
  }
  const reg = await startRegistry({});
  const work = mkdtempSync(join(tmpdir(), 'podbay-imgbench-'));
  try {
    const target = { url: reg.url };
    await pushBusybox(target, 'library/busybox', ['1.36']);
    const base = await busyboxLayer();
    const tar = join(work, 'py.tar');
    execFileSync('tar', ['--numeric-owner', '-C', '/', '-cf', tar, bigSource.slice(1)]);
    const py = await gzipLayer(tar, join(work, 'py.tar.gz'));
    const config = JSON.parse(busyboxConfig(base.diffId, 'amd64').toString()) as {
      rootfs: { diff_ids: string[] };
    };
    config.rootfs.diff_ids.push(py.diffId);
    await pushImage(
      target,
      'library/pystd',
      ['1'],
      [{ architecture: 'amd64', config: Buffer.from(JSON.stringify(config)), layers: [base, py] }],
    );
    await pushDebianImages(target, { names: ['nginx'] });
    const images = [
      `${reg.host}/library/busybox:1.36`,
      `${reg.host}/library/nginx:1.27`,
      `${reg.host}/library/pystd:1`,
    ];
    console.log(`images (pull + unpack from a local docker-registry; medians of ${runs})`);
    for (const ref of images) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const root = join(work, `store-${i}`);
        const store = new LocalImageStore({ root });
        const t0 = performance.now();
        await new RegistryPuller({}).pull(ref, [], store);
        ours.push(performance.now() - t0);
        rmSync(root, { recursive: true, force: true });
        const layout = join(work, `oci-${i}`);
        const bundle = join(work, `bundle-${i}`);
        mkdirSync(layout);
        const [, repoTag = ''] = ref.split('/library/');
        const tag = repoTag.split(':')[1] ?? 'latest';
        theirs.push(
          time(() => {
            execFileSync('skopeo', [
              'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:${tag}`,
            ]); // prettier-ignore
            execFileSync('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
          }),
        );
        rmSync(layout, { recursive: true, force: true });
        rmSync(bundle, { recursive: true, force: true });
      }
      const a = median(ours);
      const b = median(theirs);
      console.log(
        `  ${ref.split('/').slice(1).join('/').padEnd(22)} podbay ${a.toFixed(0)} ms   skopeo+umoci ${b.toFixed(0)} ms   ratio ${(a / b).toFixed(2)} (target <= 1.0)`,
      );
    }
  } finally {
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

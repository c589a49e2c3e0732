/**
 * Offline stand-ins for the images the seeds use, imported into a daemon's image store:
 * `busybox` (1.36, 1.28) from busybox-static, `debian` (the same userland), and an
 * `nginx` look-alike — busybox httpd serving /usr/share/nginx/html on port 80 and appending a
 * line per request to /var/log/nginx/access.log, which is what the sidecar seeds read.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalImageStore } from '../../../src/runtime/images/local-image-store.ts';
import { buildBusyboxRootfs } from './busybox-rootfs.ts';

const NGINX_ENTRY = `#!/bin/sh
mkdir -p /var/log/nginx /usr/share/nginx/html
[ -f /usr/share/nginx/html/index.html ] || echo '<h1>Welcome to nginx!</h1>' > /usr/share/nginx/html/index.html
touch /var/log/nginx/access.log
echo "nginx stand-in (busybox httpd) listening on :80"
exec httpd -f -vv -p 80 -h /usr/share/nginx/html 2>>/var/log/nginx/access.log
`;

/** Builds (cached) the nginx stand-in's flat rootfs tarball. */
export async function buildNginxRootfs(): Promise<string> {
  const base = await buildBusyboxRootfs();
  const out = join(tmpdir(), 'podbay-test-images', 'nginx-rootfs.tar');
  const dir = mkdtempSync(join(tmpdir(), 'podbay-nginx-'));
  chmodSync(dir, 0o755);
  try {
    execFileSync('tar', ['-xf', base, '-C', dir]);
    mkdirSync(join(dir, 'usr/share/nginx/html'), { recursive: true });
    writeFileSync(join(dir, 'usr/share/nginx/html/index.html'), '<h1>Welcome to nginx!</h1>\n');
    writeFileSync(join(dir, 'docker-entrypoint.sh'), NGINX_ENTRY);
    chmodSync(join(dir, 'docker-entrypoint.sh'), 0o755);
    execFileSync('tar', ['--numeric-owner', '-C', dir, '-cf', out, '.']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** Imports busybox and (unless `standIns: false`) the debian and nginx stand-ins into `store`. */
export async function importDemoImages(
  store: LocalImageStore,
  opts: { standIns?: boolean } = {},
): Promise<void> {
  const busybox = await buildBusyboxRootfs();
  for (const name of ['busybox:1.36', 'busybox:1.28'])
    await store.importRootfs(busybox, name, { cmd: ['sh'] });
  if (opts.standIns === false) return;
  await store.importRootfs(busybox, 'debian:latest', { cmd: ['sh'] });
  const nginx = await buildNginxRootfs();
  for (const name of ['nginx:1.27', 'nginx:latest'])
    await store.importRootfs(nginx, name, {
      entrypoint: ['/docker-entrypoint.sh'],
      cmd: [],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    });
}

// A real registry for integration tests: Debian's docker-registry on 127.0.0.1 (installed with
// apt-get when missing and we are root), optionally with htpasswd Basic auth or Bearer tokens
// from scripts/images/token-server.ts, filled with the busybox image built from busybox-static.
import { existsSync } from 'node:fs';
import { BUSYBOX_TAGS, pushBusybox, type CachedLayer } from '../../scripts/images/busybox-image.ts';
import {
  ensurePackage,
  startRegistry,
  type RegistryOptions,
  type RunningRegistry,
} from '../../scripts/images/registry-server.ts';

export { startTokenServer, type RunningTokenServer } from '../../scripts/images/token-server.ts';

export { BUSYBOX_TAGS };

export interface TestRegistry extends RunningRegistry {
  auth?: { username: string; password: string };
  /** Pushes busybox (cached build) under `repo`; returns the index digest and the layer. */
  pushBusybox(repo?: string, tags?: string[]): Promise<{ digest: string; layer: CachedLayer }>;
}

/** Why registry tests cannot run here, or false. */
export function registrySkipReason(opts: { auth?: boolean } = {}): string | false {
  if (!existsSync('/bin/busybox')) return 'needs busybox-static (/bin/busybox)';
  const missing = ensurePackage('docker-registry', 'docker-registry');
  if (missing !== undefined) return missing;
  if (opts.auth === true) {
    const noHt = ensurePackage('htpasswd', 'apache2-utils');
    if (noHt !== undefined) return noHt;
  }
  return false;
}

/**
 * Starts a registry (stop it in `after`); with `auth` it demands Basic credentials, with
 * `tokenAuth` Bearer tokens; `dataDir` shares another registry's storage (read side).
 */
export async function startTestRegistry(
  opts: Pick<RegistryOptions, 'auth' | 'tokenAuth' | 'dataDir'> = {},
): Promise<TestRegistry> {
  const reg = await startRegistry(opts);
  const target = { url: reg.url, ...(opts.auth !== undefined ? { auth: opts.auth } : {}) };
  return {
    ...reg,
    ...(opts.auth !== undefined ? { auth: opts.auth } : {}),
    pushBusybox: (repo = 'library/busybox', tags = BUSYBOX_TAGS) => pushBusybox(target, repo, tags),
  };
}

/**
 * Builds (cached under $TMPDIR/podbay-test-images/debian-images) and pushes the images made from
 * Debian packages — library/debian (bookworm, latest), library/nginx (1.27, latest) and
 * library/alpine (latest, 3.19), linux/amd64 — to `reg`. Needs root and apt's mirror.
 */
export async function pushDebian(
  reg: TestRegistry,
  names?: import('../../scripts/images/debian-images.ts').DebianImageName[],
): Promise<import('../../scripts/images/debian-images.ts').PushedDebianImage[]> {
  const { pushDebianImages } = await import('../../scripts/images/debian-images.ts');
  const target = { url: reg.url, ...(reg.auth !== undefined ? { auth: reg.auth } : {}) };
  return pushDebianImages(target, names !== undefined ? { names } : {});
}

/**
 * Deleting layers nothing uses (a layer directory is first renamed out of `layers/`, so it
 * vanishes in one step, never half-deleted in place, then removed from `tmp/`), and image
 * configs no index entry names (left by a write of the index that failed).
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { tempName } from './store-fs.ts';

/**
 * Deletes every layer under `<root>/layers` that `spare` does not keep. A layer that is not in
 * `removedLayers` (it belonged to no image just removed) is also kept while younger than
 * `minAgeMs`: another process may be pulling it for an image it has not recorded yet.
 */
export async function deleteUnusedLayers(
  root: string,
  spare: (diffId: string) => boolean,
  removedLayers: ReadonlySet<string>,
  minAgeMs: number,
  log: Logger,
): Promise<string[]> {
  const layersDir = join(root, 'layers');
  const deleted: string[] = [];
  for (const hex of await readdir(layersDir)) {
    const diffId = `sha256:${hex}`;
    if (!/^[0-9a-f]{64}$/.test(hex) || spare(diffId)) continue;
    if (!removedLayers.has(diffId)) {
      const st = await stat(join(layersDir, hex)).catch(() => undefined);
      if (!st || Date.now() - st.ctimeMs < minAgeMs) continue;
    }
    const doomed = join(root, 'tmp', tempName('delete'));
    try {
      await rename(join(layersDir, hex), doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    await rm(doomed, { recursive: true, force: true });
    log.info('Deleted unused image layer', { diffId });
    deleted.push(diffId);
  }
  return deleted;
}

/** Deletes `<root>/configs/<hex>.json` files whose image id is not in `imageIds`. */
export async function deleteUnusedConfigs(
  root: string,
  imageIds: ReadonlySet<string>,
  log: Logger,
): Promise<void> {
  for (const name of await readdir(join(root, 'configs'))) {
    const m = /^([0-9a-f]{64})\.json$/.exec(name);
    if (!m || imageIds.has(`sha256:${m[1]!}`)) continue;
    await rm(join(root, 'configs', name), { force: true });
    log.info('Deleted the config of an unrecorded image', { id: `sha256:${m[1]!}` });
  }
}

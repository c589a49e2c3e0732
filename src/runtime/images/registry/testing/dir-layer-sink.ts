import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageInfo } from '../../../container-runtime.ts';
import type { LayerSink } from '../types.ts';

/**
 * A minimal directory-backed {@link LayerSink} for tests: layers under `root/layers/<hex>`,
 * filled in a temp dir and renamed into place (discarded when the fill fails); images kept in
 * memory. Counts fills so tests can see which layers were skipped.
 */
export class DirLayerSink implements LayerSink {
  readonly images: Array<{ config: Buffer; repoTags: string[]; repoDigests: string[] }> = [];
  fills = 0;
  private readonly layerDir: string;
  private readonly pending = new Map<string, Promise<string>>();

  constructor(readonly root: string) {
    this.layerDir = join(root, 'layers');
    mkdirSync(this.layerDir, { recursive: true });
  }

  layerPath(diffId: string): string {
    return join(this.layerDir, diffId.replace(/^sha256:/, ''));
  }

  hasLayer(diffId: string): boolean {
    return existsSync(this.layerPath(diffId));
  }

  putLayer(diffId: string, fill: (dir: string) => Promise<void>): Promise<string> {
    const running = this.pending.get(diffId);
    if (running !== undefined) return running;
    const p = (async () => {
      const final = this.layerPath(diffId);
      if (existsSync(final)) return final;
      const tmp = mkdtempSync(join(this.layerDir, '.tmp-'));
      try {
        this.fills++;
        await fill(tmp);
        renameSync(tmp, final);
        return final;
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    })().finally(() => this.pending.delete(diffId));
    this.pending.set(diffId, p);
    return p;
  }

  putImage(config: Buffer, repoTags: string[], repoDigests: string[]): Promise<ImageInfo> {
    const doc = JSON.parse(config.toString('utf8')) as { rootfs: { diff_ids: string[] } };
    for (const d of doc.rootfs.diff_ids) {
      if (!this.hasLayer(d)) return Promise.reject(new Error(`layer ${d} missing`));
    }
    this.images.push({ config, repoTags, repoDigests });
    return Promise.resolve({
      id: `sha256:${createHash('sha256').update(config).digest('hex')}`,
      repoTags,
      repoDigests,
      size: config.length,
      config: {},
    });
  }

  /** Names under the layers dir (temp dirs included) — empty after a failed first pull. */
  entries(): string[] {
    return readdirSync(this.layerDir);
  }
}

/**
 * A throwaway directory for image-store tests, registered with node:test's before/after, and
 * a maker of one-file flat rootfs tarballs in it (each call a new tar with its own content).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/** The work dir (valid inside tests) and `makeTar(content)`. */
export interface TarWorkdir {
  readonly dir: string;
  makeTar(content: string): Promise<string>;
}

/** Creates the work dir before the file's tests and removes it after them. */
export function tarWorkdir(prefix: string): TarWorkdir {
  let dir = '';
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async makeTar(content: string): Promise<string> {
      const src = join(dir, `src-${++n}`);
      await mkdir(src);
      await writeFile(join(src, 'file'), content);
      const out = join(dir, `rootfs-${n}.tar`);
      execFileSync('tar', ['-C', src, '-cf', out, '.']);
      return out;
    },
  };
}

/**
 * Leases: records that something (a container, by its id) uses an image, so that removing the
 * image — from the daemon or from `podbay image rm` in another process — cannot pull its layers
 * out from under a mounted overlay. One small file per holder in `<root>/leases/`, written
 * atomically; the store reads them under its index lock.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './store-fs.ts';

/** Thrown when removing an image a lease still holds. */
export class ImageInUseError extends Error {
  override name = 'ImageInUseError';
  constructor(
    readonly imageId: string,
    readonly holders: string[],
  ) {
    super(`image ${imageId} is in use by ${holders.join(', ')}`);
  }
}

const holderPattern = /^[A-Za-z0-9_.-]{1,200}$/;

function leasePath(dir: string, holder: string): string {
  if (!holderPattern.test(holder) || holder.startsWith('.')) {
    throw new Error(`invalid image lease holder "${holder}"`);
  }
  return join(dir, `${holder}.json`);
}

/** Records that `holder` uses `imageId` (replacing what it held before). */
export async function writeLease(dir: string, holder: string, imageId: string): Promise<void> {
  await writeFileAtomic(leasePath(dir, holder), JSON.stringify({ image: imageId }) + '\n');
}

/** Forgets `holder`'s lease; no error when there is none. */
export async function deleteLease(dir: string, holder: string): Promise<void> {
  await rm(leasePath(dir, holder), { force: true });
}

/** Every lease: image id → holders. Unreadable files are skipped. */
export async function readLeases(dir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      const { image } = JSON.parse(await readFile(join(dir, name), 'utf8')) as { image?: unknown };
      if (typeof image !== 'string') continue;
      out.set(image, [...(out.get(image) ?? []), name.slice(0, -'.json'.length)]);
    } catch {
      // vanished or half-written by a crashed process: not a lease
    }
  }
  return out;
}

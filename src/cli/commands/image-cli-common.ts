/** Pieces shared by the `podbay image …` subcommands. */
import { join } from 'node:path';
import { LocalImageStore, type ImagePuller } from '../../runtime/images/local-image-store.ts';
import { defaultDataDir } from '../defaults.ts';

/** A usage mistake: reported with exit code 2 and the usage text. */
export class UsageError extends Error {}

/** The local image store of a data directory (`<data-dir>/images`). */
export function storeFor(dataDir: string | undefined, puller?: ImagePuller): LocalImageStore {
  return new LocalImageStore({
    root: join(dataDir ?? defaultDataDir(), 'images'),
    ...(puller ? { puller } : {}),
  });
}

/** `os/arch[/variant]` from a flag. */
export function parsePlatformFlag(value: string): {
  os: string;
  architecture: string;
  variant?: string;
} {
  const [os, architecture, variant, extra] = value.split('/');
  if (!os || !architecture || extra !== undefined || variant === '') {
    throw new UsageError(`--platform "${value}": want OS/ARCH[/VARIANT], e.g. linux/amd64`);
  }
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

/** Bytes the way crictl shows them: 3 significant digits, decimal units (`2.14MB`). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number(value.toPrecision(3))}${units[i]!}`;
}

/** `podbay image load`: docker save archives and OCI image layouts into the local store. */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { loadImageArchive } from '../../runtime/images/archive/load-archive.ts';
import { parsePlatformFlag, storeFor, UsageError } from './image-cli-common.ts';

export const loadUsage = `  podbay image load [-i|--input FILE] [--platform OS/ARCH] [--data-dir DIR]
      Load images from a docker save tarball or an OCI image layout (directory or tar, plain or
      gzip); reads the tar from stdin without -i. Prints "Loaded image: NAME" per tag.`;

/** Copies stdin into a scratch file (an archive is read at random offsets). */
async function stdinToFile(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'podbay-load-stdin-'));
  const path = join(dir, 'archive');
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(process.stdin, createWriteStream(path));
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { path, cleanup };
}

export async function runLoad(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i' },
      platform: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError('image load takes the archive as -i FILE');
  const platform = values.platform !== undefined ? parsePlatformFlag(values.platform) : undefined;
  let input = values.input;
  let cleanup = (): Promise<void> => Promise.resolve();
  if (input === undefined) {
    if (process.stdin.isTTY) {
      throw new UsageError('image load needs -i FILE (or an archive on stdin)');
    }
    ({ path: input, cleanup } = await stdinToFile());
  }
  try {
    const images = await loadImageArchive(storeFor(values['data-dir']), input, {
      ...(platform ? { platform } : {}),
    });
    for (const img of images) {
      if (img.repoTags.length === 0) console.log(`Loaded image ID: ${img.id}`);
      for (const tag of img.repoTags) console.log(`Loaded image: ${tag}`);
    }
  } finally {
    await cleanup();
  }
  return 0;
}

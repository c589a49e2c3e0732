/**
 * Reads small procfs files (`/proc/<pid>/stat`, …) through one shared buffer. `readFileSync`
 * cannot size a procfs file (its stat says 0 bytes), so it allocates a fresh 64 KiB buffer per
 * read attempt: twice per call. Called per container each second by the relist, that was tens
 * of megabytes of garbage a second with 110 pods, which V8 collects late.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const shared = Buffer.allocUnsafe(4096);

/**
 * The text of a procfs file of at most `shared.length` bytes (longer content is cut there);
 * throws as `openSync` does when the file is missing.
 */
export function readProcFileSync(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let n = 0;
    for (;;) {
      const got = readSync(fd, shared, n, shared.length - n, null);
      if (got === 0 || (n += got) === shared.length) break;
    }
    return shared.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}

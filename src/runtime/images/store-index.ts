/**
 * The local image store's index (`<root>/index.json`): which images exist, with their tags and
 * repo digests. Several processes use one store (the daemon and `podbay image …`), so:
 * - every change runs under an exclusive lock file (`index.lock`, holding the owner's pid; a
 *   lock whose owner is gone is taken over) and starts from the file as it is on disk;
 * - the file is replaced atomically (temp + rename), so readers never see half a file;
 * - readers keep a parsed copy and re-read it when the file's identity (inode, mtime, size)
 *   changes, which each rename guarantees.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive, writeFileAtomic } from './store-fs.ts';

/** One image as the index records it. */
export interface IndexedImage {
  /** Normalised references `registry/repository:tag`. */
  repoTags: string[];
  /** Normalised references `registry/repository@sha256:…`. */
  repoDigests: string[];
  /** Sum of the image's layer sizes (bytes of uncompressed tar, when known). */
  size: number;
}

/** The whole index file. Keys of `images` are image ids (`sha256:<config digest>`). */
export interface StoreIndexData {
  version: 1;
  images: Record<string, IndexedImage>;
}

const lockTimeoutMs = 30_000;
/** A lock file without a readable pid is considered abandoned after this long. */
const lockUnreadableGraceMs = 5_000;

function emptyIndex(): StoreIndexData {
  return { version: 1, images: {} };
}

/** Reads and writes `index.json` under `root`. */
export class StoreIndex {
  readonly path: string;
  readonly #lockPath: string;
  #cached: StoreIndexData = emptyIndex();
  #cachedKey = 'absent';
  /** Serialises this process's writers before they compete for the lock file. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.path = join(root, 'index.json');
    this.#lockPath = join(root, 'index.lock');
  }

  /** The current index; re-read from disk when the file changed since the last read. */
  async read(): Promise<StoreIndexData> {
    let key: string;
    try {
      const st = await stat(this.path);
      key = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      key = 'absent';
    }
    if (key !== this.#cachedKey) {
      this.#cached = key === 'absent' ? emptyIndex() : await this.#load();
      this.#cachedKey = key;
    }
    return this.#cached;
  }

  /**
   * Runs `change` on a fresh copy of the index under the lock and writes the result when
   * `change` returns without throwing. Resolves with what `change` returned.
   */
  update<T>(change: (data: StoreIndexData) => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(async () => {
      const release = await this.#lock();
      try {
        const data = await this.#load();
        const before = JSON.stringify(data);
        const result = await change(data);
        const after = JSON.stringify(data, null, 1) + '\n';
        if (JSON.stringify(data) !== before) await writeFileAtomic(this.path, after);
        return result;
      } finally {
        await release();
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Runs `fn` while holding the lock (without changing the index). */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.update(() => fn());
  }

  async #load(): Promise<StoreIndexData> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
      throw e;
    }
    const parsed = JSON.parse(text) as Partial<StoreIndexData>;
    if (parsed.version !== 1 || typeof parsed.images !== 'object' || parsed.images === null) {
      throw new Error(`image index ${this.path} has an unknown format`);
    }
    return { version: 1, images: parsed.images };
  }

  async #lock(): Promise<() => Promise<void>> {
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      try {
        const fh = await open(this.#lockPath, 'wx');
        try {
          await fh.writeFile(String(process.pid));
        } finally {
          await fh.close();
        }
        return () => rm(this.#lockPath, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (await this.#lockAbandoned()) {
        await rm(this.#lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for the image index lock ${this.#lockPath}`);
      }
      await sleep(10 + Math.random() * 20);
    }
  }

  async #lockAbandoned(): Promise<boolean> {
    try {
      const [text, st] = await Promise.all([
        readFile(this.#lockPath, 'utf8'),
        stat(this.#lockPath),
      ]);
      const pid = Number(text.trim());
      if (Number.isInteger(pid) && pid > 0) return pid !== process.pid && !pidAlive(pid);
      return Date.now() - st.mtimeMs > lockUnreadableGraceMs;
    } catch {
      return false; // vanished meanwhile: just retry
    }
  }
}

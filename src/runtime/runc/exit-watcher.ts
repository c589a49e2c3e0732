/**
 * Watches conmon's exit directory (inotify through `fs.watch`) and tells waiters when a
 * container's exit file appears. conmon writes the file once, after the container's output
 * is drained, so its presence means "exited, logs complete". A slow poll backs up the watch.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** An exit as conmon recorded it. */
export interface ExitInfo {
  exitCode: number;
  finishedAt: number;
}

/** Reads `<dir>/<id>`; undefined while the container runs. */
export async function readExitFile(dir: string, id: string): Promise<ExitInfo | undefined> {
  const file = join(dir, id);
  // The common answer (still running) without a failing read: no error object per container
  // and relist, which at 1 s × every container is what kept an idle daemon busy.
  if (!existsSync(file)) return undefined;
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    if (text.trim() === '') return undefined;
    return { exitCode: Number(text.trim()), finishedAt: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** Exit-directory watcher. */
export class ExitWatcher {
  readonly #dir: string;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #onExit: (id: string) => void;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;

  constructor(dir: string, onExit: (id: string) => void) {
    this.#dir = dir;
    this.#onExit = onExit;
  }

  start(): void {
    this.#watcher = watch(this.#dir, (_type, name) => {
      if (name) void this.#check(name);
    });
    this.#watcher.on('error', () => undefined);
    this.#poll = setInterval(() => {
      for (const id of this.#waiters.keys()) void this.#check(id);
    }, 1000);
    this.#poll.unref();
  }

  stop(): void {
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
  }

  async #check(id: string): Promise<void> {
    if (!(await readExitFile(this.#dir, id))) return;
    const ws = this.#waiters.get(id);
    this.#waiters.delete(id);
    for (const w of ws ?? []) w();
    this.#onExit(id);
  }

  /** Resolves true once `id` has exited, false after `timeoutMs`. */
  async waitFor(id: string, timeoutMs: number): Promise<boolean> {
    if (await readExitFile(this.#dir, id)) return true;
    return new Promise<boolean>((resolve) => {
      const set = this.#waiters.get(id) ?? new Set();
      this.#waiters.set(id, set);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        set.delete(done);
        resolve(false);
      }, timeoutMs);
      set.add(done);
      void this.#check(id);
    });
  }
}

/**
 * A child process for the kill -9 durability test: opens the store at argv[2] and writes
 * forever, printing `<name> <resourceVersion>` after each committed write.
 */
import { pathToFileURL } from 'node:url';
import { SqliteStore } from './sqlite-store.ts';

/** Writes objects until killed. */
export function runCrashWriter(path: string): void {
  const store = new SqliteStore(path, { changeLogSize: 50 });
  const start = Number(store.currentResourceVersion());
  for (let i = 0; ; i++) {
    const name = `p${start}-${i}`;
    const stored = store.create('pods', {
      metadata: { name, namespace: 'default' },
      spec: { payload: 'x'.repeat(200) },
    });
    process.stdout.write(`${name} ${stored.metadata.resourceVersion!}\n`);
  }
}

const [, main, path] = process.argv;
if (main && path && import.meta.url === pathToFileURL(main).href) runCrashWriter(path);

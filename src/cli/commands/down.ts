/** `podbay down`: asks the daemon to stop and waits until it has. */
import { parseArgs } from 'node:util';
import { isAlive, readDaemonRecord } from '../../daemon/pid-file.ts';
import { defaultDataDir } from '../defaults.ts';

/** Runs `podbay down`. */
export async function runDown(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' } } });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const rec = readDaemonRecord(dataDir);
  if (!rec) {
    console.log(`podbay is not running (data directory ${dataDir})`);
    return 0;
  }
  process.kill(rec.pid, 'SIGTERM');
  const end = Date.now() + 30_000;
  while (Date.now() < end && isAlive(rec.pid)) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(rec.pid)) {
    console.error(`podbay (pid ${rec.pid}) did not stop within 30s`);
    return 1;
  }
  console.log(`podbay stopped (pid ${rec.pid})`);
  return 0;
}

/** `podbay status`: says whether a daemon runs on the data directory and whether it is ready. */
import { parseArgs } from 'node:util';
import { readDaemonRecord } from '../../daemon/pid-file.ts';
import { defaultDataDir } from '../defaults.ts';

/** Runs `podbay status`. */
export async function runStatus(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' } } });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const rec = readDaemonRecord(dataDir);
  if (!rec) {
    console.log(`podbay is not running (data directory ${dataDir})`);
    return 3;
  }
  let ready: boolean;
  try {
    const res = await fetch(`${rec.url}/readyz`);
    ready = res.ok;
  } catch {
    ready = false;
  }
  console.log(
    `podbay is running: pid ${rec.pid}, ${rec.url}, data directory ${rec.dataDir}, since ${rec.startedAt}, ${ready ? 'ready' : 'not ready'}`,
  );
  return ready ? 0 : 1;
}

/**
 * `podbay down`: asks the daemon to stop and waits until it has. Pods keep running (a next `up`
 * re-adopts them) unless `--purge`: then the daemon removes every container, volume and pod
 * network, the bridge and the runtime's state as it stops; the API objects stay, so a next
 * `up` starts the pods' containers afresh, as a rebooted node does.
 */
import { parseArgs } from 'node:util';
import { isAlive, readDaemonRecord, requestPurge } from '../../daemon/pid-file.ts';
import { defaultDataDir } from '../defaults.ts';

/** Runs `podbay down`. */
export async function runDown(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, purge: { type: 'boolean' } },
  });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const rec = readDaemonRecord(dataDir);
  if (!rec) {
    if (values.purge) {
      console.error(
        `podbay is not running (data directory ${dataDir}); --purge needs the daemon: run podbay up, then podbay down --purge`,
      );
      return 1;
    }
    console.log(`podbay is not running (data directory ${dataDir})`);
    return 0;
  }
  if (values.purge) requestPurge(dataDir);
  process.kill(rec.pid, 'SIGTERM');
  const end = Date.now() + (values.purge ? 120_000 : 30_000);
  while (Date.now() < end && isAlive(rec.pid)) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(rec.pid)) {
    console.error(`podbay (pid ${rec.pid}) did not stop within ${values.purge ? 120 : 30}s`);
    return 1;
  }
  console.log(
    values.purge
      ? `podbay stopped (pid ${rec.pid}); its containers, volumes and pod network are removed`
      : `podbay stopped (pid ${rec.pid})`,
  );
  return 0;
}

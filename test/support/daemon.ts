/** Starts a podbay daemon in this process for a test, with a throwaway data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createLogger, nullLogger } from '../../src/lib/log.ts';

/** A daemon plus its data directory; `stop()` removes both. */
export interface TestDaemon {
  daemon: Daemon;
  dataDir: string;
  stop(): Promise<void>;
  /** Stops the daemon but keeps the data directory (restart tests). */
  stopKeepingData(): Promise<void>;
}

/** Starts a daemon on a free port. */
export async function startTestDaemon(
  dataDir = mkdtempSync(join(tmpdir(), 'podbay-test-')),
): Promise<TestDaemon> {
  const log = process.env['PODBAY_TEST_LOG'] ? createLogger({ level: 'debug' }) : nullLogger;
  const daemon = await Daemon.start({ dataDir, port: 0, log, nodeName: 'podbay-test' });
  return {
    daemon,
    dataDir,
    stop: async () => {
      await daemon.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    stopKeepingData: () => daemon.stop(),
  };
}

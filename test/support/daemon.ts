/** Starts a podbay daemon in this process for a test, with a throwaway data directory. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createLogger, nullLogger } from '../../src/lib/log.ts';
import type { RegistriesConfig } from '../../src/runtime/images/registry/types.ts';

/** A daemon plus its data directory; `stop()` removes both. */
export interface TestDaemon {
  daemon: Daemon;
  dataDir: string;
  stop(): Promise<void>;
  /** Stops the daemon but keeps the data directory (restart tests). */
  stopKeepingData(): Promise<void>;
}

/**
 * Starts a daemon on a free port. With `nodeAgent`, pods run for real on a bridge, CIDR and
 * nftables table of the test's own (derived from the data directory, so a restarted daemon
 * finds its pods' network again), and `stop()` purges every container, volume and network.
 */
export async function startTestDaemon(
  dataDir = mkdtempSync(join(tmpdir(), 'podbay-test-')),
  opts: { nodeAgent?: boolean; registries?: RegistriesConfig } = {},
): Promise<TestDaemon> {
  const log = process.env['PODBAY_TEST_LOG'] ? createLogger({ level: 'debug' }) : nullLogger;
  const n = createHash('sha256').update(dataDir).digest().readUInt16BE(0) % 2000;
  const daemon = await Daemon.start({
    dataDir,
    port: 0,
    log,
    nodeName: 'podbay-test',
    nodeAgent: opts.nodeAgent === true,
    ...(opts.registries ? { registries: opts.registries } : {}),
    network: {
      bridge: `pbt${n}`,
      cidr: `10.${200 + (Math.floor(n / 256) % 50)}.${n % 256}.0/24`,
      nftTable: `podbay_test_${n}`,
    },
  });
  return {
    daemon,
    dataDir,
    stop: async () => {
      await daemon.stop({ purge: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
    stopKeepingData: () => daemon.stop(),
  };
}

/** `podbay up`: runs the daemon in the foreground, or in the background with --detach. */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Daemon } from '../../daemon/daemon.ts';
import { readDaemonRecord, takePurgeRequest } from '../../daemon/pid-file.ts';
import { keepYoungGenerationSmall, startIdleCollector } from '../../lib/daemon-heap.ts';
import { createLogger } from '../../lib/log.ts';
import type { RegistriesConfig } from '../../runtime/images/registry/types.ts';
import { defaultDataDir, defaultPort } from '../defaults.ts';
import { defaultKubeconfigPath, writeKubeconfig } from '../kubeconfig.ts';

const options = {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  kubeconfig: { type: 'string' },
  detach: { type: 'boolean', short: 'd' },
  'log-level': { type: 'string' },
  'pod-cidr': { type: 'string' },
  bridge: { type: 'string' },
  'no-node-agent': { type: 'boolean' },
  registries: { type: 'string' },
} as const;

async function waitReady(
  dataDir: string,
  pid: number,
  timeoutMs: number,
): Promise<string | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const rec = readDaemonRecord(dataDir);
    if (rec?.pid === pid && rec.url) return rec.url;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

/** Runs `podbay up`. */
export async function runUp(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options, allowPositionals: false });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const port = values.port !== undefined ? Number(values.port) : defaultPort;
  const kubeconfig = values.kubeconfig ?? defaultKubeconfigPath();
  const running = readDaemonRecord(dataDir);
  if (running) {
    console.error(
      `podbay is already running (pid ${running.pid}) at ${running.url} with data directory ${dataDir}`,
    );
    return 1;
  }
  if (values.detach) {
    const logFile = join(dataDir, 'podbay.log');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir, { recursive: true });
    const out = openSync(logFile, 'a');
    const args = process.argv.slice(1).filter((a) => a !== '--detach' && a !== '-d');
    const child = spawn(process.execPath, [...process.execArgv, ...args], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    const url = await waitReady(dataDir, child.pid ?? -1, 15_000);
    if (!url) {
      console.error(`podbay did not become ready; see ${logFile}`);
      return 1;
    }
    console.log(
      `podbay is running in the background (pid ${child.pid}) at ${url}; logs: ${logFile}`,
    );
    return 0;
  }
  const log = createLogger({ level: (values['log-level'] as 'info' | undefined) ?? 'info' });
  let daemon: Daemon;
  try {
    const registriesFile = values.registries ?? join(dataDir, 'registries.yaml');
    const registries = existsSync(registriesFile)
      ? (parseYaml(readFileSync(registriesFile, 'utf8')) as RegistriesConfig)
      : undefined;
    takePurgeRequest(dataDir); // one that an earlier daemon did not live to act on
    keepYoungGenerationSmall();
    daemon = await Daemon.start({
      dataDir,
      ...(registries ? { registries } : {}),
      port,
      log,
      ...(values['no-node-agent'] ? { nodeAgent: false } : {}),
      network: {
        ...(values['pod-cidr'] !== undefined ? { cidr: values['pod-cidr'] } : {}),
        ...(values.bridge !== undefined
          ? { bridge: values.bridge, nftTable: values.bridge.replace(/[^a-zA-Z0-9_]/g, '_') }
          : {}),
      },
    });
  } catch (err: unknown) {
    console.error(`podbay: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  // The daemon's own process only (in-process test daemons leave their host's heap alone).
  const stopCollector = startIdleCollector();
  writeKubeconfig(kubeconfig, daemon.url);
  log.info('Wrote kubeconfig context "podbay"', { kubeconfig });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  stopCollector();
  await daemon.stop({ purge: takePurgeRequest(dataDir) });
  return 0;
}

/**
 * The podbay daemon: opens the store, serves the API on 127.0.0.1, bootstraps the cluster's
 * built-in objects, and runs the controllers and the node agent. `Daemon.start` is what
 * `podbay up` and the integration tests call.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { createHttpServer } from '../api/node-http.ts';
import { jsonResponse, type ApiHandler } from '../api/http-types.ts';
import { KubeClient } from '../client/kube-client.ts';
import { SystemClock, type Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { buildApiServer } from './api-wiring.ts';
import { bootstrapCluster } from './bootstrap.ts';
import { inProcessTransport } from './in-process-transport.ts';
import { claimDataDir, releaseDataDir, writeDaemonRecord } from './pid-file.ts';
import { startControllers } from './controllers.ts';
import type { RegistriesConfig } from '../runtime/images/registry/types.ts';
import { podStreamingUpgrade, type PodStreamingBackend } from './pod-streaming.ts';
import {
  nodeAgentUnavailable,
  startNodeAgent,
  type NodeAgent,
  type NodeNetworkOptions,
} from './node-agent.ts';

/** Options for {@link Daemon.start}. */
export interface DaemonOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  log: Logger;
  clock?: Clock;
  nodeName?: string;
  /** Run pods for real (default: when this machine can, see nodeAgentUnavailable). */
  nodeAgent?: boolean;
  network?: NodeNetworkOptions;
  registries?: RegistriesConfig;
}

/** A running daemon. */
export class Daemon {
  readonly #abort = new AbortController();
  readonly #background: Promise<unknown>[] = [];
  #lifecycle = { stopping: false };
  #stopped = false;
  #agent: NodeAgent | undefined;

  /** The node agent, when it runs. */
  get agent(): NodeAgent | undefined {
    return this.#agent;
  }

  private constructor(
    readonly url: string,
    readonly client: KubeClient,
    private readonly server: Server,
    private readonly store: SqliteStore,
    private readonly options: DaemonOptions,
  ) {
    // Every informer and loop of the daemon listens on this one signal.
    setMaxListeners(0, this.#abort.signal);
  }

  /** Starts a daemon and resolves once it serves requests. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const { dataDir, log } = options;
    const clock = options.clock ?? new SystemClock();
    mkdirSync(dataDir, { recursive: true });
    claimDataDir(dataDir);
    let store: SqliteStore | undefined;
    let server: Server | undefined;
    try {
      store = new SqliteStore(join(dataDir, 'state.db'), { log });
      const host = options.host ?? '127.0.0.1';
      const api = buildApiServer({
        store,
        clock,
        log,
        serverAddress: `${host}:${options.port}`,
        podLogsDir: join(dataDir, 'logs'),
      });
      const streaming = { backend: undefined as PodStreamingBackend | undefined };
      // Once stopping, answer 503 instead of touching a closing store (late background writes).
      const lifecycle = { stopping: false };
      const handle: ApiHandler = (req) =>
        lifecycle.stopping
          ? Promise.resolve(
              jsonResponse(503, {
                kind: 'Status',
                apiVersion: 'v1',
                metadata: {},
                status: 'Failure',
                message: 'podbay is shutting down',
                reason: 'ServiceUnavailable',
                code: 503,
              }),
            )
          : api.handle(req);
      server = createHttpServer(handle, {
        log,
        onUpgrade: podStreamingUpgrade({
          getPod: (namespace, name) => store?.get('pods', namespace, name),
          backend: () => streaming.backend,
          log,
        }),
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(options.port, host, () => resolve());
      });
      const port = (listening.address() as AddressInfo).port;
      const url = `http://${host}:${port}`;
      const client = new KubeClient({
        transport: inProcessTransport(handle),
        userAgent: 'podbay-daemon',
      });
      const daemon = new Daemon(url, client, listening, store, options);
      daemon.#lifecycle = lifecycle;
      await bootstrapCluster({
        client,
        clock,
        log,
        nodeName: options.nodeName ?? defaultNodeName(),
      });
      daemon.#background.push(
        ...startControllers({ client, clock, log, dataDir, signal: daemon.#abort.signal }),
      );
      const why = options.nodeAgent === false ? 'disabled by option' : nodeAgentUnavailable();
      if (why === undefined) {
        const agent = await startNodeAgent({
          client,
          clock,
          log,
          dataDir,
          nodeName: options.nodeName ?? defaultNodeName(),
          ...(options.network ? { network: options.network } : {}),
          ...(options.registries ? { registries: options.registries } : {}),
          signal: daemon.#abort.signal,
        });
        daemon.#agent = agent;
        streaming.backend = agent.backend;
        daemon.#background.push(agent.done);
      } else {
        log.warn('Pods will stay Pending: the node agent is not running', { reason: why });
      }
      writeDaemonRecord({ pid: process.pid, url, dataDir, startedAt: new Date().toISOString() });
      log.info('podbay is ready', { url, dataDir });
      return daemon;
    } catch (err: unknown) {
      server?.closeAllConnections();
      server?.close();
      store?.close();
      releaseDataDir(dataDir);
      throw err;
    }
  }

  /**
   * Stops serving, stops background loops, closes the store. Containers keep running unless
   * `purge` is set: then every container, volume and pod network goes too (tests, `down --purge`).
   */
  async stop(opts: { purge?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    await Promise.allSettled(this.#background);
    if (opts.purge) await this.#agent?.purge();
    this.#lifecycle.stopping = true;
    this.store.close();
    releaseDataDir(this.options.dataDir);
    this.options.log.info('podbay stopped');
  }
}

/** The node name: the host name, lower-cased as Kubernetes names must be. */
export function defaultNodeName(): string {
  return (process.env['PODBAY_NODE_NAME'] ?? hostname()).toLowerCase();
}

/**
 * The node agent: binds new pods to this node (the scheduler's job on a one-node cluster), and
 * runs one serialised worker per pod that syncs it whenever the pod, its containers or a timer
 * say so. A pod being deleted is stopped with its grace period, then removed from the API with
 * a zero-grace delete guarded by its uid. First version: see `sync-pod.ts` for what is missing.
 */
import { isConflict, isNotFound } from '../k8s/errors.ts';
import type { Pod } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { EventRecorder, involvedObjectOf } from '../client/event-recorder.ts';
import { Informer } from '../client/informer.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';
import type { ContainerRuntime, ImageService } from '../runtime/container-runtime.ts';
import { CrashLoopBackoff, ImagePullBackoff } from './backoff.ts';
import { podUidLabel } from './labels.ts';
import { publishStatus, syncPod, type SyncDeps } from './sync-pod.ts';
import { killPod } from './kill-pod.ts';
import { cleanupPod, stopSandboxes, type PodVolumes } from './pod-sandbox.ts';
import type { PodNetwork } from '../network/pod-network.ts';
import { podGraceSeconds } from './termination-order.ts';
import { ProbeManager } from './prober/probe-manager.ts';
import type { ProbeDial } from './prober/run-probe.ts';

/** How the daemon wires the node agent. */
export interface KubeletOptions {
  client: KubeClient;
  runtime: ContainerRuntime;
  images: ImageService;
  clock: Clock;
  log: Logger;
  nodeName: string;
  podLogsDir: string;
  /** Connects to a pod's port (tcpSocket/httpGet probes); wired to the pod network. */
  dial?: ProbeDial;
  network?: PodNetwork;
  volumes?: PodVolumes;
  /** `<data>/pods`: the kubelet's per-pod files. */
  podsDir?: string;
  memoryCapacity?: number;
  /** How often orphaned sandboxes and containers are looked for (default 10 s). */
  housekeepingMs?: number;
}

interface Worker {
  running: boolean;
  again: boolean;
  cancelTimer?: () => void;
}

/** The kubelet. */
export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #pods: Informer<Pod>;
  readonly #workers = new Map<string, Worker>();
  readonly #deps: SyncDeps;
  readonly #scheduler: EventRecorder;
  #signal: AbortSignal | undefined;
  #syncs = 0;

  constructor(options: KubeletOptions) {
    this.#o = options;
    const { client, clock, log } = options;
    this.#pods = new Informer<Pod>({ client, resource: resources.pods, clock, log });
    this.#scheduler = new EventRecorder({ client, clock, log, component: 'default-scheduler' });
    const events = new EventRecorder({
      client,
      clock,
      log,
      component: 'kubelet',
      host: options.nodeName,
    });
    this.#deps = {
      client,
      runtime: options.runtime,
      images: options.images,
      clock,
      log,
      podLogsDir: options.podLogsDir,
      events,
      backoff: new CrashLoopBackoff(),
      pullBackoff: new ImagePullBackoff(),
      startErrors: new Map(),
      dial: options.dial,
      network: options.network,
      volumes: options.volumes,
      podsDir: options.podsDir,
      memoryCapacity: options.memoryCapacity,
      podIPs: new Map(),
      probes: new ProbeManager({
        runtime: options.runtime,
        clock,
        log,
        events,
        ...(options.dial ? { dial: options.dial } : {}),
        onChange: (pod) => this.#enqueue(pod.metadata.namespace ?? '', pod.metadata.name ?? ''),
      }),
    };
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    this.#pods.onChange((e) =>
      this.#enqueue(e.object.metadata.namespace ?? '', e.object.metadata.name ?? ''),
    );
    const unsubscribe = this.#o.runtime.onEvent((e) => {
      const uid = e.labels[podUidLabel];
      const pod = this.#pods.list().find((p) => p.metadata.uid === uid);
      if (pod) this.#enqueue(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    });
    let cancelHousekeeping: (() => void) | undefined;
    const tick = (): void => {
      cancelHousekeeping = this.#o.clock.setTimer(this.#o.housekeepingMs ?? 10_000, () => {
        void this.#housekeeping()
          .catch((err: unknown) => this.#o.log.warn('Housekeeping failed', { err }))
          .finally(() => {
            if (!signal.aborted) tick();
          });
      });
    };
    tick();
    void this.#pods
      .synced()
      .then(() => this.#housekeeping())
      .catch(() => undefined);
    try {
      await this.#pods.run(signal);
    } finally {
      cancelHousekeeping?.();
      unsubscribe();
      this.#deps.probes.stop();
      for (const w of this.#workers.values()) w.cancelTimer?.();
    }
  }

  #enqueue(namespace: string, name: string, afterMs = 0): void {
    if (this.#signal?.aborted) return;
    const key = `${namespace}/${name}`;
    let w = this.#workers.get(key);
    if (!w) this.#workers.set(key, (w = { running: false, again: false }));
    if (afterMs > 0) {
      w.cancelTimer?.();
      w.cancelTimer = this.#o.clock.setTimer(afterMs, () => this.#enqueue(namespace, name));
      return;
    }
    if (w.running) {
      w.again = true;
      return;
    }
    w.running = true;
    const worker = w;
    const loop = async (): Promise<void> => {
      do {
        worker.again = false;
        const pod = this.#pods.get(namespace, name);
        if (!pod) break;
        try {
          const next = await this.#sync(pod);
          if (next !== undefined) this.#enqueue(namespace, name, next);
        } catch (err: unknown) {
          if (!isConflict(err) && !isNotFound(err))
            this.#o.log.warn('Pod sync failed; will retry', {
              pod: key,
              err,
              stack: (err as Error).stack,
            });
          this.#enqueue(namespace, name, 1000);
        }
      } while (worker.again && !this.#signal?.aborted);
      worker.running = false;
    };
    void loop();
  }

  /** Pod syncs done so far (metrics, benchmarks). */
  get syncCount(): number {
    return this.#syncs;
  }

  async #sync(pod: Pod): Promise<number | undefined> {
    this.#syncs++;
    if (!pod.spec.nodeName) {
      if (!pod.metadata.deletionTimestamp) await this.#bind(pod);
      return undefined;
    }
    if (pod.spec.nodeName !== this.#o.nodeName) return undefined;
    if (pod.metadata.deletionTimestamp) {
      await killPod(pod, this.#deps, podGraceSeconds(pod));
      await publishStatus(pod, this.#deps, false, new Map(), true).catch(() => undefined);
      await cleanupPod(pod.metadata.uid ?? '', this.#deps);
      await this.#o.client
        .delete(resources.pods, pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid ?? '' },
        })
        .catch((err: unknown) => {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        });
      return undefined;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      await stopSandboxes(pod.metadata.uid ?? '', this.#deps);
      return undefined;
    }
    return (await syncPod(pod, this.#deps)).requeueAfterMs;
  }

  /** Removes sandboxes and containers whose pod no longer exists (deleted while we were away). */
  async #housekeeping(): Promise<void> {
    if (this.#signal?.aborted) return;
    const live = new Set(this.#pods.list().map((p) => p.metadata.uid ?? ''));
    const uids = new Set<string>();
    for (const s of await this.#o.runtime.listPodSandboxes()) uids.add(s.config.podUid);
    for (const c of await this.#o.runtime.listContainers()) uids.add(c.labels[podUidLabel] ?? '');
    for (const uid of uids) {
      if (live.has(uid) || uid === '') continue;
      this.#o.log.info('removing an orphaned pod', { uid });
      await cleanupPod(uid, this.#deps);
    }
  }

  async #bind(pod: Pod): Promise<void> {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    await this.#o.client.create(
      { apiVersion: 'v1', resource: `pods/${name}/binding`, namespaced: true },
      ns,
      {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace: ns },
        target: { apiVersion: 'v1', kind: 'Node', name: this.#o.nodeName },
      },
    );
    this.#scheduler.record(
      involvedObjectOf(pod),
      'Normal',
      'Scheduled',
      `Successfully assigned ${ns}/${name} to ${this.#o.nodeName}`,
    );
  }
}

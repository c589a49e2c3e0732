/**
 * The node agent: binds new pods to this node (the scheduler's job on a one-node cluster), and
 * runs one serialised worker per pod that syncs it whenever the pod, its containers or a timer
 * say so. A pod being deleted is stopped with its grace period, then removed from the API with
 * a zero-grace delete guarded by its uid; a pod force-deleted from the API still has its
 * containers stopped gracefully. Workers are keyed by pod UID (pod-workers.ts); a relist of the
 * runtime every second wakes the workers of pods whose containers changed, and every running pod
 * is resynced every minute. Pods that cannot fit the Node stay Pending with FailedScheduling.
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
import { syncPod, type SyncDeps } from './sync-pod.ts';
import { publishStatus } from './pod-status-writes.ts';
import { killPod } from './kill-pod.ts';
import { cleanupPod, stopSandboxes, type PodVolumes } from './pod-sandbox.ts';
import type { PodNetwork } from '../network/pod-network.ts';
import { podGraceSeconds } from './termination-order.ts';
import { PodWorkers } from './pod-workers.ts';
import { unschedulableMessage, type NodeView } from './scheduling.ts';
import { activeDeadlineLeftMs, failPastDeadline, markUnschedulable } from './pod-status-writes.ts';
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

/** Whether an update of a pod matters to its worker (spec, labels, annotations, deletion). */
function differs(a: Pod, b: Pod): boolean {
  const view = (p: Pod): string =>
    JSON.stringify([
      p.spec,
      p.metadata.labels,
      p.metadata.annotations,
      p.metadata.deletionTimestamp,
      p.metadata.deletionGracePeriodSeconds,
      p.metadata.ownerReferences,
    ]);
  return view(a) !== view(b);
}

/** How often the runtime is relisted (the kubelet's PLEG period) and running pods resynced. */
export const relistMs = 1000;
export const resyncMs = 60_000;

interface Known {
  pod: Pod;
  /** Deleted from the API (force delete, or removed by us): stop what is left, then forget. */
  gone: boolean;
}

/** The kubelet. */
export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #pods: Informer<Pod>;
  readonly #known = new Map<string, Known>();
  readonly #workers: PodWorkers;
  readonly #deps: SyncDeps;
  readonly #scheduler: EventRecorder;
  readonly #relist = new Map<string, string>();
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
    this.#workers = new PodWorkers(
      clock,
      (uid) => this.#sync(uid),
      (uid, err) => {
        if (!isConflict(err) && !isNotFound(err))
          log.warn('Pod sync failed; will retry', { uid, err, stack: (err as Error).stack });
      },
    );
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
      terminationMessages: new Map(),
      probes: new ProbeManager({
        runtime: options.runtime,
        clock,
        log,
        events,
        ...(options.dial ? { dial: options.dial } : {}),
        onChange: (pod) => this.#workers.enqueue(pod.metadata.uid ?? ''),
      }),
    };
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    this.#pods.onChange((e) => {
      const uid = e.object.metadata.uid ?? '';
      if (e.type === 'deleted') {
        const k = this.#known.get(uid);
        this.#known.set(uid, { pod: k?.pod ?? e.object, gone: true });
      } else {
        this.#known.set(uid, { pod: e.object, gone: false });
        // As the kubelet's pod config does, a change of status alone does not wake the worker.
        if (e.type === 'updated' && e.old?.metadata.uid === uid && !differs(e.old, e.object))
          return;
      }
      if (e.old && e.old.metadata.uid !== uid) {
        const o = this.#known.get(e.old.metadata.uid ?? '');
        if (o) o.gone = true;
        this.#workers.enqueue(e.old.metadata.uid ?? '');
      }
      this.#workers.enqueue(uid);
    });
    const unsubscribe = this.#o.runtime.onEvent((e) => {
      const uid = e.labels[podUidLabel] ?? '';
      if (this.#known.has(uid)) this.#workers.enqueue(uid);
    });
    const cancels: (() => void)[] = [];
    const every = (ms: number, fn: () => Promise<void>, what: string): void => {
      const tick = (): void => {
        const cancel = this.#o.clock.setTimer(ms, () => {
          void fn()
            .catch((err: unknown) => this.#o.log.warn(`${what} failed`, { err }))
            .finally(() => {
              if (!signal.aborted) tick();
            });
        });
        cancels[cancels.length] = cancel;
      };
      tick();
    };
    every(this.#o.housekeepingMs ?? 10_000, () => this.#housekeeping(), 'Housekeeping');
    every(relistMs, () => this.#relistRuntime(), 'Relist');
    every(resyncMs, () => Promise.resolve(this.#resync()), 'Resync');
    void this.#pods
      .synced()
      .then(() => this.#housekeeping())
      .catch(() => undefined);
    try {
      await this.#pods.run(signal);
    } finally {
      for (const cancel of cancels) cancel();
      unsubscribe();
      this.#deps.probes.stop();
      this.#workers.stop();
    }
  }

  /** The PLEG relist: wakes the worker of every pod whose containers changed state. */
  async #relistRuntime(): Promise<void> {
    const seen = new Set<string>();
    for (const c of await this.#o.runtime.listContainers()) {
      seen.add(c.id);
      const uid = c.labels[podUidLabel] ?? '';
      const state = `${c.state}/${c.exitCode ?? ''}`;
      if (this.#relist.get(c.id) !== state) {
        this.#relist.set(c.id, state);
        if (this.#known.has(uid)) this.#workers.enqueue(uid);
      }
    }
    for (const id of [...this.#relist.keys()]) if (!seen.has(id)) this.#relist.delete(id);
  }

  /** The periodic resync of every pod this node runs (volume contents, deadlines, retries). */
  #resync(): void {
    for (const [uid, k] of this.#known) {
      const phase = k.pod.status?.phase;
      if (!k.gone && phase !== 'Succeeded' && phase !== 'Failed') this.#workers.enqueue(uid);
    }
  }

  /** Pod syncs done so far (metrics, benchmarks). */
  get syncCount(): number {
    return this.#syncs;
  }

  /** Whether a pod worker is syncing right now. */
  get busy(): boolean {
    return this.#workers.busy;
  }

  async #sync(uid: string): Promise<number | undefined> {
    const known = this.#known.get(uid);
    if (!known) return undefined;
    this.#syncs++;
    if (known.gone) {
      await this.#terminateGone(known.pod);
      this.#known.delete(uid);
      this.#workers.forget(uid);
      return undefined;
    }
    const pod = known.pod;
    if (!pod.spec.nodeName) {
      if (!pod.metadata.deletionTimestamp) return this.#schedule(pod);
      return undefined;
    }
    if (pod.spec.nodeName !== this.#o.nodeName) return undefined;
    if (pod.metadata.deletionTimestamp) {
      await killPod(pod, this.#deps, podGraceSeconds(pod));
      await publishStatus(pod, this.#deps, false, new Map(), true).catch(() => undefined);
      await cleanupPod(uid, this.#deps);
      await this.#o.client
        .delete(resources.pods, pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        })
        .catch((err: unknown) => {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        });
      return undefined;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      await stopSandboxes(uid, this.#deps);
      return undefined;
    }
    const deadline = activeDeadlineLeftMs(pod, this.#o.clock.now());
    if (deadline !== undefined && deadline <= 0) {
      await failPastDeadline(pod, this.#deps);
      return undefined;
    }
    const next = (await syncPod(pod, this.#deps)).requeueAfterMs;
    const left = activeDeadlineLeftMs(this.#known.get(uid)?.pod ?? pod, this.#o.clock.now());
    if (left === undefined) return next;
    return Math.max(1, Math.min(next ?? left, left));
  }

  /**
   * A pod removed from the API while its containers may still run (force delete): the node
   * still stops them gracefully. As v1.33 does, a zero deletion grace counts as unset, so the
   * pod's terminationGracePeriodSeconds applies (spec §13.2).
   */
  async #terminateGone(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const running = (await this.#o.runtime.listContainers({ labels: { [podUidLabel]: uid } })).some(
      (c) => c.state === 'running',
    );
    if (running) await killPod(pod, this.#deps, podGraceSeconds(pod));
    await cleanupPod(uid, this.#deps);
    this.#deps.backoff.gc(this.#o.clock.now(), uid);
  }

  /** Removes sandboxes and containers whose pod no longer exists (deleted while we were away). */
  async #housekeeping(): Promise<void> {
    if (this.#signal?.aborted) return;
    const live = new Set([
      ...this.#pods.list().map((p) => p.metadata.uid ?? ''),
      ...this.#known.keys(),
    ]);
    const uids = new Set<string>();
    for (const s of await this.#o.runtime.listPodSandboxes()) uids.add(s.config.podUid);
    for (const c of await this.#o.runtime.listContainers()) uids.add(c.labels[podUidLabel] ?? '');
    for (const uid of uids) {
      if (live.has(uid) || uid === '') continue;
      this.#o.log.info('removing an orphaned pod', { uid });
      await cleanupPod(uid, this.#deps);
    }
  }

  /** Binds the pod to this node, or records why it cannot be (retried on the resync). */
  async #schedule(pod: Pod): Promise<number | undefined> {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const node = await this.#o.client
      .get<NodeView>(resources.nodes, '', this.#o.nodeName)
      .catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    if (node) {
      const others = this.#pods.list().filter((p) => p.spec.nodeName === this.#o.nodeName);
      const message = unschedulableMessage(pod, node, others);
      if (message) {
        this.#scheduler.record(involvedObjectOf(pod), 'Warning', 'FailedScheduling', message);
        await markUnschedulable(pod, message, this.#deps);
        return undefined;
      }
    }
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
    return undefined;
  }
}

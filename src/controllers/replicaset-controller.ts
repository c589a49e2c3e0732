/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods matching the selector (creating
 * them from the template, adopting orphans, deleting extras), and reports replicas, ready and
 * available counts in status.
 */
import { isNotFound } from '../k8s/errors.ts';
import { labelSelectorFromObject } from '../k8s/selectors/label-selector.ts';
import type { KubeObject, LabelSelector } from '../k8s/types/meta.ts';
import type { Pod, PodTemplateSpec } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { EventRecorder, involvedObjectOf } from '../client/event-recorder.ts';
import { Informer } from '../client/informer.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';
import {
  controllerRef,
  isActivePod,
  isPodAvailable,
  isPodReady,
  ownerRefTo,
  podFromTemplate,
} from './pod-helpers.ts';
import { WorkQueue, keyOf, splitKey } from './work-queue.ts';

/** A ReplicaSet as the controller reads it. */
export interface ReplicaSet extends KubeObject {
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector: LabelSelector;
    template: PodTemplateSpec;
  };
  status?: Record<string, unknown>;
}

/** Options for {@link ReplicaSetController}. */
export interface ReplicaSetControllerOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
}

/** Reconciles ReplicaSets with their pods. */
export class ReplicaSetController {
  readonly #o: ReplicaSetControllerOptions;
  readonly #sets: Informer<ReplicaSet>;
  readonly #pods: Informer<Pod>;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;

  constructor(options: ReplicaSetControllerOptions) {
    this.#o = options;
    const { client, clock, log } = options;
    this.#sets = new Informer<ReplicaSet>({ client, resource: resources.replicaSets, clock, log });
    this.#pods = new Informer<Pod>({ client, resource: resources.pods, clock, log });
    this.#events = new EventRecorder({ client, clock, log, component: 'replicaset-controller' });
    this.#queue = new WorkQueue({
      name: 'replicaset',
      clock,
      log,
      reconcile: (key) => this.#reconcile(key),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#sets.onChange((e) => this.#queue.add(keyOf(e.object)));
    this.#pods.onChange((e) => {
      const ref = controllerRef(e.object) ?? (e.old ? controllerRef(e.old) : undefined);
      if (ref?.kind === 'ReplicaSet')
        this.#queue.add(`${e.object.metadata.namespace ?? ''}/${ref.name}`);
      else if (!ref)
        for (const rs of this.#sets.list())
          if (rs.metadata.namespace === e.object.metadata.namespace) this.#queue.add(keyOf(rs));
    });
    const loops = [this.#sets.run(signal), this.#pods.run(signal)];
    await Promise.all([this.#sets.synced(), this.#pods.synced()]);
    await Promise.all([...loops, this.#queue.run(signal)]);
  }

  async #reconcile(key: string): Promise<{ requeueAfterMs?: number } | undefined> {
    const [ns, name] = splitKey(key);
    const rs = this.#sets.get(ns, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const { client, clock } = this.#o;
    const selector = labelSelectorFromObject(rs.spec.selector);
    const matches = (labels: Record<string, string>): boolean => selector.matches(labels);
    const pods: Pod[] = [];
    for (const pod of this.#pods.list()) {
      if (pod.metadata.namespace !== ns) continue;
      const ref = controllerRef(pod);
      if (ref && ref.uid !== rs.metadata.uid) continue;
      if (!matches(pod.metadata.labels ?? {})) continue;
      if (!ref) {
        if (pod.metadata.deletionTimestamp) continue;
        try {
          await client.patch(
            resources.pods,
            ns,
            pod.metadata.name ?? '',
            {
              metadata: {
                ownerReferences: [...(pod.metadata.ownerReferences ?? []), ownerRefTo(rs)],
                uid: pod.metadata.uid,
              },
            },
            'strategic',
          );
        } catch (err: unknown) {
          if (!isNotFound(err)) throw err;
          continue;
        }
      }
      pods.push(pod);
    }
    const active = pods.filter(isActivePod);
    const want = rs.spec.replicas ?? 1;
    if (active.length < want) {
      for (let i = active.length; i < want; i++) {
        const created = await client.create(
          resources.pods,
          ns,
          podFromTemplate(rs.spec.template, rs, `${name}-`),
        );
        this.#events.record(
          involvedObjectOf(rs),
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.metadata.name ?? ''}`,
        );
      }
    } else if (active.length > want) {
      const victims = [...active].sort(deletionOrder).slice(0, active.length - want);
      for (const pod of victims) {
        try {
          await client.delete(resources.pods, ns, pod.metadata.name ?? '');
          this.#events.record(
            involvedObjectOf(rs),
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${pod.metadata.name ?? ''}`,
          );
        } catch (err: unknown) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    const now = clock.now();
    const minReady = rs.spec.minReadySeconds ?? 0;
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => matchesAll(p, rs.spec.template)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const current = rs.status ?? {};
    const changed = Object.entries(status).some(([k, v]) => (current[k] ?? 0) !== v);
    if (changed) {
      await client
        .update(
          resources.replicaSets,
          ns,
          { ...rs, status: { ...current, ...status } },
          { subresource: 'status' },
        )
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
    if (minReady > 0 && status.readyReplicas > status.availableReplicas)
      return { requeueAfterMs: 1000 };
    return undefined;
  }
}

function matchesAll(pod: Pod, template: PodTemplateSpec): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(template.metadata?.labels ?? {}).every(([k, v]) => labels[k] === v);
}

/** Pods to delete first: unscheduled, then not running, then not ready, then newest. */
function deletionOrder(a: Pod, b: Pod): number {
  const rank = (p: Pod): number =>
    !p.spec.nodeName ? 0 : p.status?.phase !== 'Running' ? 1 : !isPodReady(p) ? 2 : 3;
  return (
    rank(a) - rank(b) ||
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '')
  );
}

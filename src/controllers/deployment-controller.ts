/**
 * The Deployment controller: one ReplicaSet per pod template (named `<deployment>-<hash>`,
 * labelled `pod-template-hash`), rolled out with the RollingUpdate (maxSurge/maxUnavailable) or
 * Recreate strategy, old ReplicaSets scaled down and pruned beyond `revisionHistoryLimit`, and
 * status/conditions as kube-controller-manager reports them.
 */
import { isAlreadyExists, isNotFound } from '../k8s/errors.ts';
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
  fnv32a,
  isActivePod,
  ownerRefTo,
  safeEncode,
  stableJson,
} from './pod-helpers.ts';
import type { ReplicaSet } from './replicaset-controller.ts';
import { rolloutPlan, type RolloutState } from './rollout-plan.ts';
import { deploymentStatus } from './deployment-status.ts';
import { WorkQueue, keyOf, splitKey } from './work-queue.ts';

/** A Deployment as the controller reads it. */
export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplateSpec;
    strategy?: {
      type?: 'RollingUpdate' | 'Recreate';
      rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
    };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
  };
  status?: Record<string, unknown>;
}

/** Options for {@link DeploymentController}. */
export interface DeploymentControllerOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
}

const hashLabel = 'pod-template-hash';
const revisionAnnotation = 'deployment.kubernetes.io/revision';

/** The template's hash, as the pod-template-hash label shows it. */
export function templateHash(template: PodTemplateSpec): string {
  return safeEncode(fnv32a(stableJson(template)));
}

function withoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const t = structuredClone(template);
  if (t.metadata?.labels) {
    delete t.metadata.labels[hashLabel];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/** Reconciles Deployments with their ReplicaSets. */
export class DeploymentController {
  readonly #o: DeploymentControllerOptions;
  readonly #deployments: Informer<Deployment>;
  readonly #sets: Informer<ReplicaSet>;
  readonly #pods: Informer<Pod>;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;

  constructor(options: DeploymentControllerOptions) {
    this.#o = options;
    const { client, clock, log } = options;
    this.#deployments = new Informer<Deployment>({
      client,
      resource: resources.deployments,
      clock,
      log,
    });
    this.#sets = new Informer<ReplicaSet>({ client, resource: resources.replicaSets, clock, log });
    this.#pods = new Informer<Pod>({ client, resource: resources.pods, clock, log });
    this.#events = new EventRecorder({ client, clock, log, component: 'deployment-controller' });
    this.#queue = new WorkQueue({
      name: 'deployment',
      clock,
      log,
      reconcile: (key) => this.#reconcile(key),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#deployments.onChange((e) => this.#queue.add(keyOf(e.object)));
    this.#sets.onChange((e) => {
      const ref = controllerRef(e.object);
      if (ref?.kind === 'Deployment')
        this.#queue.add(`${e.object.metadata.namespace ?? ''}/${ref.name}`);
    });
    this.#pods.onChange((e) => {
      if (e.type !== 'deleted') return;
      const rsRef = controllerRef(e.object);
      const rs = rsRef ? this.#sets.get(e.object.metadata.namespace ?? '', rsRef.name) : undefined;
      const ref = rs ? controllerRef(rs) : undefined;
      if (ref?.kind === 'Deployment')
        this.#queue.add(`${e.object.metadata.namespace ?? ''}/${ref.name}`);
    });
    const loops = [this.#deployments.run(signal), this.#sets.run(signal), this.#pods.run(signal)];
    await Promise.all([this.#deployments.synced(), this.#sets.synced(), this.#pods.synced()]);
    await Promise.all([...loops, this.#queue.run(signal)]);
  }

  #owned(d: Deployment): ReplicaSet[] {
    const ns = d.metadata.namespace;
    return this.#sets
      .list()
      .filter(
        (rs) =>
          rs.metadata.namespace === ns &&
          controllerRef(rs)?.uid === d.metadata.uid &&
          !rs.metadata.deletionTimestamp,
      );
  }

  async #scale(d: Deployment, rs: ReplicaSet, replicas: number): Promise<void> {
    const from = rs.spec.replicas ?? 0;
    if (from === replicas) return;
    const want = d.spec.replicas ?? 1;
    await this.#o.client.patch(
      resources.replicaSets,
      rs.metadata.namespace ?? '',
      rs.metadata.name ?? '',
      {
        metadata: { annotations: { 'deployment.kubernetes.io/desired-replicas': String(want) } },
        spec: { replicas },
      },
      'merge',
    );
    const verb = replicas > from ? 'up' : 'down';
    this.#events.record(
      involvedObjectOf(d),
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${verb} replica set ${rs.metadata.name ?? ''} from ${from} to ${replicas}`,
    );
  }

  async #reconcile(key: string): Promise<{ requeueAfterMs?: number } | undefined> {
    const [ns, name] = splitKey(key);
    const d = this.#deployments.get(ns, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const { client } = this.#o;
    const sets = this.#owned(d);
    const hash = templateHash(d.spec.template);
    let newRS = sets.find(
      (rs) => stableJson(withoutHash(rs.spec.template)) === stableJson(d.spec.template),
    );
    const olds = sets.filter((rs) => rs !== newRS);
    const want = d.spec.replicas ?? 1;
    const recreate = d.spec.strategy?.type === 'Recreate';
    if (!newRS && !d.spec.paused) {
      const revision =
        Math.max(
          0,
          ...sets.map((rs) => Number(rs.metadata.annotations?.[revisionAnnotation] ?? 0)),
        ) + 1;
      const oldActive = olds.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
      const initial = recreate
        ? 0
        : oldActive === 0
          ? want
          : Math.min(want, rolloutPlan(d, undefined, olds).newReplicasOnCreate);
      const template = structuredClone(d.spec.template);
      template.metadata = {
        ...template.metadata,
        labels: { ...template.metadata?.labels, [hashLabel]: hash },
      };
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace: ns,
          labels: { ...d.spec.template.metadata?.labels, [hashLabel]: hash },
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(want),
            'deployment.kubernetes.io/max-replicas': String(want + (recreate ? 0 : 1)),
            [revisionAnnotation]: String(revision),
          },
          ownerReferences: [ownerRefTo(d)],
        },
        spec: {
          replicas: initial,
          ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
          selector: {
            ...d.spec.selector,
            matchLabels: { ...d.spec.selector.matchLabels, [hashLabel]: hash },
          },
          template,
        },
      };
      try {
        newRS = await client.create(resources.replicaSets, ns, rs);
        this.#events.record(
          involvedObjectOf(d),
          'Normal',
          'ScalingReplicaSet',
          `Scaled up replica set ${rs.metadata.name ?? ''} from 0 to ${initial}`,
        );
      } catch (err: unknown) {
        if (!isAlreadyExists(err)) throw err;
        return { requeueAfterMs: 100 };
      }
    }
    if (!d.spec.paused && newRS) {
      const state: RolloutState = { newRS, olds };
      if (recreate) {
        for (const rs of olds) await this.#scale(d, rs, 0);
        const selector = labelSelectorFromObject(d.spec.selector);
        const oldPods = this.#pods
          .list()
          .filter(
            (p) =>
              p.metadata.namespace === ns &&
              isActivePod(p) &&
              selector.matches(p.metadata.labels) &&
              olds.some((rs) => controllerRef(p)?.uid === rs.metadata.uid),
          );
        if (oldPods.length === 0) await this.#scale(d, newRS, want);
      } else {
        const plan = rolloutPlan(d, state.newRS, state.olds);
        if (plan.newReplicas !== (newRS.spec.replicas ?? 0))
          await this.#scale(d, newRS, plan.newReplicas);
        for (const [rs, n] of plan.oldReplicas) await this.#scale(d, rs, n);
      }
      await this.#prune(d, olds);
    }
    const status = deploymentStatus(d, newRS, olds, this.#o.clock.now());
    if (stableJson(status.full) !== stableJson(d.status ?? {})) {
      await client
        .update(resources.deployments, ns, { ...d, status: status.full }, { subresource: 'status' })
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
    if (!status.complete) return { requeueAfterMs: 1000 };
    return undefined;
  }

  async #prune(d: Deployment, olds: ReplicaSet[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = olds
      .filter(
        (rs) =>
          (rs.spec.replicas ?? 0) === 0 &&
          ((rs.status?.['replicas'] as number | undefined) ?? 0) === 0,
      )
      .sort(
        (a, b) =>
          Number(a.metadata.annotations?.[revisionAnnotation] ?? 0) -
          Number(b.metadata.annotations?.[revisionAnnotation] ?? 0),
      );
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      await this.#o.client
        .delete(resources.replicaSets, rs.metadata.namespace ?? '', rs.metadata.name ?? '')
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
  }
}

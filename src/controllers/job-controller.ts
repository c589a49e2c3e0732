/**
 * The Job controller: runs pods from the template until `completions` succeed (at most
 * `parallelism` at a time), counts failures against `backoffLimit`, honours
 * `activeDeadlineSeconds`, and reports status and the terminal conditions
 * (SuccessCriteriaMet/Complete, FailureTarget/Failed) as kube-controller-manager 1.33 does.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { KubeObject, LabelSelector } from '../k8s/types/meta.ts';
import type { Pod, PodTemplateSpec } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { EventRecorder, involvedObjectOf } from '../client/event-recorder.ts';
import { Informer } from '../client/informer.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';
import { controllerRef, isPodReady, podFromTemplate } from './pod-helpers.ts';
import { WorkQueue, keyOf, splitKey, type ReconcileResult } from './work-queue.ts';

/** A Job as the controller reads it. */
export interface Job extends KubeObject {
  spec: {
    parallelism?: number;
    completions?: number | null;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    suspend?: boolean;
    selector?: LabelSelector;
    template: PodTemplateSpec;
  };
  status?: JobStatus;
}

interface JobCondition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  ready?: number;
  terminating?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: Record<string, unknown>;
}

/** Options for {@link JobController}. */
export interface JobControllerOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** Reconciles Jobs with their pods. */
export class JobController {
  readonly #o: JobControllerOptions;
  readonly #jobs: Informer<Job>;
  readonly #pods: Informer<Pod>;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;

  constructor(options: JobControllerOptions) {
    this.#o = options;
    const { client, clock, log } = options;
    this.#jobs = new Informer<Job>({ client, resource: resources.jobs, clock, log });
    this.#pods = new Informer<Pod>({ client, resource: resources.pods, clock, log });
    this.#events = new EventRecorder({ client, clock, log, component: 'job-controller' });
    this.#queue = new WorkQueue({
      name: 'job',
      clock,
      log,
      reconcile: (key) => this.#reconcile(key),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#jobs.onChange((e) => this.#queue.add(keyOf(e.object)));
    this.#pods.onChange((e) => {
      const ref = controllerRef(e.object);
      if (ref?.kind === 'Job') this.#queue.add(`${e.object.metadata.namespace ?? ''}/${ref.name}`);
    });
    const loops = [this.#jobs.run(signal), this.#pods.run(signal)];
    await Promise.all([this.#jobs.synced(), this.#pods.synced()]);
    await Promise.all([...loops, this.#queue.run(signal)]);
  }

  async #reconcile(key: string): Promise<ReconcileResult | undefined> {
    const [ns, name] = splitKey(key);
    const job = this.#jobs.get(ns, name);
    if (!job || job.metadata.deletionTimestamp) return undefined;
    const { client, clock } = this.#o;
    const now = clock.now();
    const status: JobStatus = structuredClone(job.status ?? {});
    const finished = status.conditions?.some(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    const pods = this.#pods
      .list()
      .filter((p) => p.metadata.namespace === ns && controllerRef(p)?.uid === job.metadata.uid);
    const active = pods.filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    );
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter((p) => p.status?.phase === 'Failed').length + restartsOf(pods);
    const completions = job.spec.completions === null ? undefined : (job.spec.completions ?? 1);
    const parallelism = job.spec.parallelism ?? 1;
    const backoffLimit = job.spec.backoffLimit ?? 6;
    status.startTime ??= iso(now);
    let requeue: number | undefined;
    if (!finished) {
      let terminal: JobCondition[] | undefined;
      if (completions !== undefined && succeeded >= completions) {
        terminal = [
          {
            type: 'SuccessCriteriaMet',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: iso(now),
            lastTransitionTime: iso(now),
          },
          {
            type: 'Complete',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: iso(now),
            lastTransitionTime: iso(now),
          },
        ];
        status.completionTime = iso(now);
        this.#events.record(involvedObjectOf(job), 'Normal', 'Completed', 'Job completed');
      } else if (failed > backoffLimit) {
        terminal = failure(
          'BackoffLimitExceeded',
          'Job has reached the specified backoff limit',
          now,
        );
        this.#events.record(
          involvedObjectOf(job),
          'Warning',
          'BackoffLimitExceeded',
          'Job has reached the specified backoff limit',
        );
      } else if (
        job.spec.activeDeadlineSeconds !== undefined &&
        now - Date.parse(status.startTime) >= job.spec.activeDeadlineSeconds * 1000
      ) {
        terminal = failure(
          'DeadlineExceeded',
          'Job was active longer than specified deadline',
          now,
        );
        this.#events.record(
          involvedObjectOf(job),
          'Warning',
          'DeadlineExceeded',
          'Job was active longer than specified deadline',
        );
      }
      if (terminal) {
        status.conditions = [...(status.conditions ?? []), ...terminal];
        for (const p of active) await this.#deletePod(p);
      } else if (!job.spec.suspend) {
        const remaining = completions === undefined ? parallelism : completions - succeeded;
        const want = Math.max(0, Math.min(parallelism, remaining));
        for (let i = active.length; i < want; i++) {
          const pod = podFromTemplate(job.spec.template, job, `${name}-`);
          const created = await client.create(resources.pods, ns, pod);
          this.#events.record(
            involvedObjectOf(job),
            'Normal',
            'SuccessfulCreate',
            `Created pod: ${created.metadata.name ?? ''}`,
          );
        }
        if (job.spec.activeDeadlineSeconds !== undefined) {
          requeue = Math.max(
            100,
            Date.parse(status.startTime) + job.spec.activeDeadlineSeconds * 1000 - now,
          );
        }
      }
    }
    const done = status.conditions?.some(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    status.active = done ? 0 : active.length;
    status.ready = done ? 0 : active.filter(isPodReady).length;
    status.succeeded = succeeded;
    status.failed = failed;
    status.terminating = pods.filter(
      (p) =>
        p.metadata.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    ).length;
    status.uncountedTerminatedPods = {};
    for (const k of ['active', 'succeeded', 'failed'] as const)
      if (status[k] === 0) delete status[k];
    if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) {
      await client
        .update(resources.jobs, ns, { ...job, status }, { subresource: 'status' })
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  async #deletePod(pod: Pod): Promise<void> {
    await this.#o.client
      .delete(resources.pods, pod.metadata.namespace ?? '', pod.metadata.name ?? '')
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }
}

function failure(reason: string, message: string, now: number): JobCondition[] {
  return [
    {
      type: 'FailureTarget',
      status: 'True',
      reason,
      message,
      lastProbeTime: iso(now),
      lastTransitionTime: iso(now),
    },
    {
      type: 'Failed',
      status: 'True',
      reason,
      message,
      lastProbeTime: iso(now),
      lastTransitionTime: iso(now),
    },
  ];
}

/** With restartPolicy OnFailure, container restarts count as failures. */
function restartsOf(pods: Pod[]): number {
  let n = 0;
  for (const p of pods) {
    if (p.spec.restartPolicy !== 'OnFailure') continue;
    for (const s of p.status?.containerStatuses ?? []) n += s.restartCount;
  }
  return n;
}

/**
 * Stopping a whole pod (pod-lifecycle.md §13.3–13.4): a Killing event per running container,
 * every preStop hook started at once, regular containers signalled after their own preStop,
 * sidecars only after every regular container and every later sidecar has exited (reverse
 * spec order), each with what is left of the grace period but never less than 2 s; then the
 * sandbox is stopped.
 */
import type { Pod } from '../k8s/types/pod.ts';
import { involvedObjectOf } from '../client/event-recorder.ts';
import type { Container } from '../k8s/types/pod.ts';
import type { ContainerStatus as Instance } from '../runtime/container-runtime.ts';
import { runHook } from './hooks.ts';
import { podUidLabel } from './labels.ts';
import type { SyncDeps } from './sync-pod.ts';
import { remainingGrace, terminationOrder } from './termination-order.ts';

/** Stops every running container of the pod with `grace` seconds, then its sandbox. */
export async function killPod(pod: Pod, deps: SyncDeps, grace: number): Promise<void> {
  const { runtime, clock, events } = deps;
  const uid = pod.metadata.uid ?? '';
  const running = (await runtime.listContainers({ labels: { [podUidLabel]: uid } })).filter(
    (c) => c.state === 'running',
  );
  const byName = new Map<string, Instance>(running.map((c) => [c.name, c]));
  const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const field = (name: string): string =>
    pod.spec.containers.some((c) => c.name === name)
      ? `spec.containers{${name}}`
      : `spec.initContainers{${name}}`;
  for (const c of running)
    events.record(
      involvedObjectOf(pod, field(c.name)),
      'Normal',
      'Killing',
      `Stopping container ${c.name}`,
    );
  const plan = terminationOrder(pod, new Set(byName.keys()));
  // One settled-when-exited promise per container, made before any stop starts.
  const done = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  for (const step of plan) {
    let resolve = (): void => undefined;
    const promise = new Promise<void>((r) => (resolve = r));
    done.set(step.name, { promise, resolve });
  }
  const stopOne = async (name: string, waitFor: string[]): Promise<void> => {
    const c = byName.get(name)!;
    const preStop = specs.find((s) => s.name === name)?.lifecycle?.preStop;
    let used = 0;
    if (preStop) {
      const t0 = clock.now();
      const r = await runHook(preStop, {
        runtime,
        clock,
        pod,
        containerId: c.id,
        timeoutMs: grace * 1000,
        dial: deps.dial,
      });
      if (!r.ok)
        events.record(
          involvedObjectOf(pod, field(name)),
          'Warning',
          'FailedPreStopHook',
          'PreStopHook failed',
        );
      used = (clock.now() - t0) / 1000;
    }
    const w0 = clock.now();
    if (waitFor.length) {
      const left = Math.max(0, grace - Math.trunc(used)) * 1000;
      const timer = new AbortController();
      await Promise.race([
        Promise.all(waitFor.map((n) => done.get(n)?.promise ?? Promise.resolve())),
        clock.sleep(left, timer.signal).catch(() => undefined),
      ]);
      timer.abort();
    }
    await runtime.stopContainer(c.id, remainingGrace(grace, used, (clock.now() - w0) / 1000));
  };
  await Promise.all(
    plan.map((step) =>
      stopOne(step.name, step.waitFor).finally(() => done.get(step.name)?.resolve()),
    ),
  );
  for (const sb of (await runtime.listPodSandboxes()).filter((s) => s.config.podUid === uid))
    await runtime.stopPodSandbox(sb.id);
}

/** What a single-container kill needs to know. */
export interface ContainerKill {
  id: string;
  name: string;
  /** The Killing event's message. */
  message: string;
  /** Override of the grace period (probe.terminationGracePeriodSeconds). */
  graceSeconds?: number | undefined;
}

/** The grace period of a single-container kill (§13.3): deletion grace, override, pod, 2. */
export function containerKillGrace(pod: Pod, override?: number): number {
  const deletion = pod.metadata.deletionGracePeriodSeconds;
  if (deletion !== undefined && pod.metadata.deletionTimestamp) return deletion;
  return override ?? pod.spec.terminationGracePeriodSeconds ?? 2;
}

/**
 * Stops one container outside a pod stop (probe failure, changed definition, failed postStart,
 * unknown state): Killing event, its preStop with the grace period, then the stop signal with
 * what is left (never less than 2 s).
 */
export async function killContainer(pod: Pod, deps: SyncDeps, k: ContainerKill): Promise<void> {
  const { runtime, clock, events } = deps;
  const specs: Container[] = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const io = involvedObjectOf(
    pod,
    pod.spec.containers.some((c) => c.name === k.name)
      ? `spec.containers{${k.name}}`
      : `spec.initContainers{${k.name}}`,
  );
  events.record(io, 'Normal', 'Killing', k.message);
  const grace = containerKillGrace(pod, k.graceSeconds);
  const preStop = specs.find((s) => s.name === k.name)?.lifecycle?.preStop;
  let used = 0;
  if (preStop && grace > 0) {
    const t0 = clock.now();
    const r = await runHook(preStop, {
      runtime,
      clock,
      pod,
      containerId: k.id,
      timeoutMs: grace * 1000,
      dial: deps.dial,
    });
    if (!r.ok) events.record(io, 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
    used = (clock.now() - t0) / 1000;
  }
  await runtime.stopContainer(k.id, remainingGrace(grace, used, 0));
}

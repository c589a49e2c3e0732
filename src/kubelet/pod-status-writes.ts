/**
 * Writing a pod's status (pod-lifecycle.md §8–§10): generated from the runtime's view, and sent
 * as a merge patch of the `status` subresource only when it changed (removed keys are sent as
 * null). Also the two pod-level verdicts that are status writes: `activeDeadlineSeconds` passed
 * (phase Failed, reason DeadlineExceeded) and the scheduler's `PodScheduled=False/Unschedulable`.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { Pod, PodCondition, PodStatus } from '../k8s/types/pod.ts';
import { involvedObjectOf } from '../client/event-recorder.ts';
import { resources } from '../client/kube-client.ts';
import { podUidLabel } from './labels.ts';
import { convertContainerStatuses, type StartError } from './status/container-statuses.ts';
import { computePodConditions } from './status/pod-conditions.ts';
import { computePodPhase, latchPhase } from './status/pod-phase.ts';
import { killPod } from './kill-pod.ts';
import { terminationMessage } from './termination-message.ts';
import { stopSandboxes } from './pod-sandbox.ts';
import { podGraceSeconds } from './termination-order.ts';
import type { SyncDeps } from './sync-pod.ts';

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A JSON merge patch turning `old` into `next` (top-level keys; values replaced whole). */
export function statusPatch(
  old: PodStatus | undefined,
  next: PodStatus,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  const o = (old ?? {}) as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  for (const [k, v] of Object.entries(n))
    if (JSON.stringify(v) !== JSON.stringify(o[k])) patch[k] = v;
  for (const k of Object.keys(o)) if (!(k in n)) patch[k] = null;
  return Object.keys(patch).length ? patch : undefined;
}

/** Sends the status change of `pod` (no request when nothing changed). */
export async function writeStatus(pod: Pod, status: PodStatus, deps: SyncDeps): Promise<void> {
  const patch = statusPatch(pod.status, status);
  if (!patch) return;
  try {
    await deps.client.patch(
      resources.pods,
      pod.metadata.namespace ?? '',
      pod.metadata.name ?? '',
      { metadata: { uid: pod.metadata.uid }, status: patch },
      'merge',
      { subresource: 'status', fieldManager: 'kubelet' },
    );
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err;
  }
}
/** hostIP(s) and podIP(s) of a pod. */
function addresses(pod: Pod, deps: SyncDeps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const host = deps.network?.hostIP();
  if (host) Object.assign(out, { hostIP: host, hostIPs: [{ ip: host }] });
  const ips = deps.podIPs.get(pod.metadata.uid ?? '') ?? [];
  if (ips.length) Object.assign(out, { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) });
  else if (pod.status?.podIP)
    Object.assign(out, { podIP: pod.status.podIP, podIPs: pod.status.podIPs });
  return out;
}

/** Computes and publishes the pod's status when it changed. */
export async function publishStatus(
  pod: Pod,
  deps: SyncDeps,
  sandboxReady: boolean,
  errors: Map<string, StartError>,
  terminal: boolean,
  verdict?: { phase: 'Failed'; reason: string; message: string },
): Promise<void> {
  const uid = pod.metadata.uid ?? '';
  const instances = await Promise.all(
    (await deps.runtime.listContainers({ labels: { [podUidLabel]: uid } })).map(async (i) => {
      if (i.state !== 'exited' || i.message) return i;
      const message = await terminationMessage(pod, i, deps);
      return message ? { ...i, message } : i;
    }),
  );
  const { initStatuses, statuses } = convertContainerStatuses(pod, {
    instances,
    startErrors: errors,
    probes: (_name, id) => deps.probes.result(id),
  });
  const phase =
    verdict?.phase ??
    latchPhase(
      pod.status?.phase,
      computePodPhase(pod, { initStatuses, statuses, podIsTerminal: terminal }),
    );
  const now = iso(deps.clock.now());
  const conditions = computePodConditions(pod, {
    phase,
    initStatuses,
    statuses,
    sandboxReady,
    now,
  });
  const status: PodStatus = {
    ...pod.status,
    ...(verdict ? { reason: verdict.reason, message: verdict.message } : {}),
    phase,
    conditions,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    startTime: pod.status?.startTime ?? now,
    ...addresses(pod, deps),
  };
  await writeStatus(pod, status, deps);
}

/** Milliseconds left before `activeDeadlineSeconds` passes (undefined: no deadline yet). */
export function activeDeadlineLeftMs(pod: Pod, now: number): number | undefined {
  const secs = pod.spec.activeDeadlineSeconds;
  const start = pod.status?.startTime;
  if (secs === undefined || !start) return undefined;
  return Date.parse(start) + secs * 1000 - now;
}

export const deadlineMessage = 'Pod was active on the node longer than the specified deadline';

/** The pod ran past its deadline: event, every container stopped, phase Failed/DeadlineExceeded. */
export async function failPastDeadline(pod: Pod, deps: SyncDeps): Promise<void> {
  deps.events.record(involvedObjectOf(pod), 'Normal', 'DeadlineExceeded', deadlineMessage);
  await killPod(pod, deps, podGraceSeconds(pod));
  await publishStatus(
    pod,
    deps,
    false,
    deps.startErrors.get(pod.metadata.uid ?? '') ?? new Map<string, StartError>(),
    true,
    {
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: deadlineMessage,
    },
  );
  await stopSandboxes(pod.metadata.uid ?? '', deps);
}

/** The scheduler's condition on a pod it cannot place. */
export async function markUnschedulable(pod: Pod, message: string, deps: SyncDeps): Promise<void> {
  const old = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (old?.status === 'False' && old.reason === 'Unschedulable' && old.message === message) return;
  const condition: PodCondition = {
    type: 'PodScheduled',
    status: 'False',
    lastProbeTime: null,
    lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : iso(deps.clock.now()),
    reason: 'Unschedulable',
    message,
  } as PodCondition;
  const conditions = [
    ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
    condition,
  ];
  await writeStatus(
    pod,
    { ...pod.status, phase: pod.status?.phase ?? 'Pending', conditions },
    deps,
  );
}

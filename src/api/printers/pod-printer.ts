/**
 * The pod row of `kubectl get pods`: READY, STATUS, RESTARTS, AGE and the wide columns, computed
 * exactly as the server-side printer does (sidecars, Init:N/M, CrashLoopBackOff, Terminating…).
 */
import type { ContainerStatus, Pod } from '../../k8s/types/pod.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { TablePrinter } from '../resource-def.ts';
import { age, humanDuration } from './human-duration.ts';
import { col } from './columns.ts';

const finishedAt = (cs: ContainerStatus): number => {
  const t = cs.lastState?.terminated?.finishedAt;
  return t ? Date.parse(t) : 0;
};

/** The READY, STATUS and RESTARTS cells of a pod. */
export function podStatusCells(
  pod: Pod,
  now: number,
): { ready: string; status: string; restarts: string } {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const sidecars = new Set(
    (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  const total = spec.containers.length + sidecars.size;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  let reason: string = status.reason || status.phase || '';
  if (status.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated'))
    reason = 'SchedulingGated';
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  const initCount = spec.initContainers?.length ?? 0;
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount;
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    const isSidecar = sidecars.has(cs.name);
    if (isSidecar) {
      sidecarRestarts += cs.restartCount;
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(cs));
    }
    const t = cs.state?.terminated;
    const w = cs.state?.waiting;
    if (t && t.exitCode === 0) continue;
    if (isSidecar && cs.started) {
      if (cs.ready) ready++;
      continue;
    }
    if (t) {
      if (t.reason) reason = `Init:${t.reason}`;
      else reason = t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    } else if (w?.reason && w.reason !== 'PodInitializing') {
      reason = `Init:${w.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }
  const initialized =
    status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') ?? false;
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = [...(status.containerStatuses ?? [])];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount;
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const w = cs.state?.waiting;
      const t = cs.state?.terminated;
      if (w?.reason) reason = w.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ? 'Running'
        : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (
    pod.metadata.deletionTimestamp &&
    status.phase !== 'Succeeded' &&
    status.phase !== 'Failed'
  )
    reason = 'Terminating';
  const restartsCell =
    restarts === 0 || lastRestart === 0
      ? String(restarts)
      : `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

/** Server-side printing for pods. */
export const podPrinter: TablePrinter = {
  columns: [
    col('Name', 'Name must be unique within a namespace.', 0, 'name'),
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    col('Age', 'How long ago the pod was created.'),
    col('IP', 'The IP address assigned to the pod.', 1),
    col('Node', 'The node the pod is scheduled on.', 1),
    col('Nominated Node', 'The node the scheduler nominated for this pod, if any.', 1),
    col('Readiness Gates', 'The pod readiness gates, as satisfied/total.', 1),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const pod = obj as Pod;
    const { ready, status, restarts } = podStatusCells(pod, now);
    const gates = pod.spec.readinessGates ?? [];
    const gateCell = gates.length
      ? `${gates.filter((g) => pod.status?.conditions?.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`
      : '<none>';
    return [
      pod.metadata.name ?? '',
      ready,
      status,
      restarts,
      age(pod.metadata.creationTimestamp, now),
      pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '<none>',
      pod.spec.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      gateCell,
    ];
  },
};

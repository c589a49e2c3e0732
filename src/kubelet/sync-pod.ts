/**
 * One sync of one pod, the kubelet's `syncPod` in numbered steps:
 *  1. observe the runtime (sandbox, newest instance per container);
 *  2. decide (computePodActions);
 *  3. create the sandbox if needed;
 *  4. kill what must stop;
 *  5. start init containers, then regular containers (back-off → image → create → start);
 *  6. publish status (containers, phase, conditions) when it changed.
 * Probes and hooks are wired in; the pod network (podIP), service-link env and FailedScheduling
 * checks are not yet.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { Container, Pod } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { EventRecorder, involvedObjectOf } from '../client/event-recorder.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';
import type {
  ContainerRuntime,
  ContainerStatus as Instance,
  ImageService,
} from '../runtime/container-runtime.ts';
import { ContainerStartError, ImagePullError } from '../runtime/container-runtime.ts';
import { CrashLoopBackoff, ImagePullBackoff } from './backoff.ts';
import { computePodActions, type ObservedContainer } from './compute-pod-actions.ts';
import { containerArgs } from './container-command.ts';
import { CreateContainerConfigError, containerEnv } from './container-env.ts';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from './labels.ts';
import { convertContainerStatuses, type StartError } from './status/container-statuses.ts';
import { computePodConditions } from './status/pod-conditions.ts';
import { computePodPhase, latchPhase } from './status/pod-phase.ts';
import { podGraceSeconds } from './termination-order.ts';
import type { ProbeManager } from './prober/probe-manager.ts';
import type { ProbeDial } from './prober/run-probe.ts';
import { runHook } from './hooks.ts';
import { killPod } from './kill-pod.ts';

/** What a sync needs. */
export interface SyncDeps {
  client: KubeClient;
  runtime: ContainerRuntime;
  images: ImageService;
  clock: Clock;
  log: Logger;
  events: EventRecorder;
  podLogsDir: string;
  backoff: CrashLoopBackoff;
  pullBackoff: ImagePullBackoff;
  /** Last start error per pod uid and container name. */
  startErrors: Map<string, Map<string, StartError>>;
  probes: ProbeManager;
  /** Connects to a pod port (httpGet/tcpSocket hooks and probes). */
  dial?: ProbeDial | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function newestByName(instances: Instance[]): Map<string, Instance> {
  const out = new Map<string, Instance>();
  for (const i of [...instances].sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt))
    if (!out.has(i.name)) out.set(i.name, i);
  return out;
}

function fieldPath(pod: Pod, name: string): string {
  return pod.spec.containers.some((c) => c.name === name)
    ? `spec.containers{${name}}`
    : `spec.initContainers{${name}}`;
}

/** Syncs a pod that is not being deleted; returns when to look again. */
export async function syncPod(pod: Pod, deps: SyncDeps): Promise<{ requeueAfterMs?: number }> {
  const uid = pod.metadata.uid ?? '';
  const { runtime } = deps;
  // Step 1: observe.
  const sandboxes = (await runtime.listPodSandboxes()).filter((s) => s.config.podUid === uid);
  let sandbox = sandboxes.find((s) => s.state === 'ready');
  const instances = await runtime.listContainers({ labels: { [podUidLabel]: uid } });
  const newest = newestByName(instances);
  deps.probes.sync(
    pod,
    [...newest.values()].filter((i) => i.state === 'running'),
    false,
  );
  const observed = new Map<string, ObservedContainer>();
  for (const [name, i] of newest) {
    const probe = deps.probes.result(i.id);
    observed.set(name, {
      name,
      id: i.id,
      state: i.state,
      ...(i.exitCode !== undefined ? { exitCode: i.exitCode } : {}),
      image: i.image,
      started: i.state === 'running' && probe.started,
      ...(probe.failed ? { probeFailed: probe.failed } : {}),
    });
  }
  const regularStarted = pod.spec.containers.some((c) => newest.has(c.name));
  // Step 2: decide.
  const actions = computePodActions(pod, {
    sandboxReady: !!sandbox,
    hadSandbox: sandboxes.length > 0,
    containers: observed,
    regularStarted,
  });
  const errors = deps.startErrors.get(uid) ?? new Map<string, StartError>();
  deps.startErrors.set(uid, errors);
  let requeue: number | undefined;
  // Step 3: sandbox.
  if (actions.createSandbox) {
    sandbox = await runtime.runPodSandbox({
      podUid: uid,
      podName: pod.metadata.name ?? '',
      podNamespace: pod.metadata.namespace ?? '',
      attempt: sandboxes.length,
      hostname: pod.spec.hostname ?? pod.metadata.name ?? '',
      hostNetwork: !!pod.spec.hostNetwork,
      hostIPC: !!pod.spec.hostIPC,
      hostPID: !!pod.spec.hostPID,
      shareProcessNamespace: !!pod.spec.shareProcessNamespace,
      labels: { [podUidLabel]: uid },
      annotations: {},
    });
  }
  // Step 4: kills.
  if (actions.killPod) {
    await killPod(pod, deps, podGraceSeconds(pod));
  } else {
    for (const k of actions.containersToKill) {
      const what = k.isInit ? `Init container ${k.name}` : `Container ${k.name}`;
      const why = {
        definitionChanged: 'definition changed',
        livenessProbe: 'failed liveness probe',
        startupProbe: 'failed startup probe',
        unknownState: 'is in an unknown state',
        podFailed: 'failed',
      }[k.reason];
      deps.events.record(
        involvedObjectOf(pod, fieldPath(pod, k.name)),
        'Normal',
        'Killing',
        `${what} ${why}${k.willRestart && !k.isInit ? ', will be restarted' : ''}`,
      );
      await runtime.stopContainer(k.id, pod.spec.terminationGracePeriodSeconds ?? 30);
    }
    // Step 5: starts.
    const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    for (const name of [...actions.initContainersToStart, ...actions.containersToStart]) {
      const spec = all.find((c) => c.name === name)!;
      const wait = await startContainer(pod, spec, newest.get(name), sandbox!.id, deps, errors);
      if (wait !== undefined) requeue = Math.min(requeue ?? wait, wait);
    }
  }
  // Step 6: status.
  await publishStatus(pod, deps, !!sandbox && !actions.killPod, errors, actions.killPod);
  return requeue !== undefined ? { requeueAfterMs: requeue } : {};
}

/** Starts one container; returns a back-off wait in ms when it may not start yet. */
async function startContainer(
  pod: Pod,
  spec: Container,
  last: Instance | undefined,
  sandboxId: string,
  deps: SyncDeps,
  errors: Map<string, StartError>,
): Promise<number | undefined> {
  const { runtime, images, clock, events } = deps;
  const uid = pod.metadata.uid ?? '';
  const io = involvedObjectOf(pod, fieldPath(pod, spec.name));
  const image = spec.image ?? '';
  if (last?.state === 'exited') {
    const d = deps.backoff.decide(
      CrashLoopBackoff.key(uid, spec.name, image),
      last.finishedAt ?? clock.now(),
      clock.now(),
      {
        container: spec.name,
        pod: pod.metadata.name ?? '',
        namespace: pod.metadata.namespace ?? '',
        uid,
      },
    );
    if (!d.start) {
      errors.set(spec.name, { reason: 'CrashLoopBackOff', message: d.message });
      events.record(io, 'Warning', 'BackOff', d.eventMessage);
      return d.delayMs;
    }
  }
  // Image.
  let info = await images.imageStatus(image);
  const pullKey = `${uid}/${image}`;
  if (!info || spec.imagePullPolicy === 'Always') {
    if (spec.imagePullPolicy === 'Never' && !info) {
      errors.set(spec.name, {
        reason: 'ErrImageNeverPull',
        message: `Container image "${image}" is not present with pull policy of Never`,
      });
      events.record(
        io,
        'Warning',
        'ErrImageNeverPull',
        `Container image "${image}" is not present with pull policy of Never`,
      );
      return undefined;
    }
    if (deps.pullBackoff.inBackoff(pullKey, clock.now())) {
      errors.set(spec.name, {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}"`,
      });
      events.record(io, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      return 1000;
    }
    events.record(io, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = clock.now();
    try {
      info = await images.pullImage(image, []);
      deps.pullBackoff.succeeded(pullKey);
      const secs = ((clock.now() - t0) / 1000).toFixed(3).replace(/\.?0+$/, '') || '0';
      events.record(
        io,
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${secs}s (${secs}s including waiting). Image size: ${info.size} bytes.`,
      );
    } catch (err: unknown) {
      const msg = err instanceof ImagePullError ? err.message : String(err);
      deps.pullBackoff.failed(pullKey, clock.now());
      errors.set(spec.name, { reason: 'ErrImagePull', message: msg });
      events.record(io, 'Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      events.record(io, 'Warning', 'Failed', 'Error: ErrImagePull');
      return 10_000;
    }
  } else {
    events.record(io, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
  }
  let env: Map<string, string>;
  try {
    env = await containerEnv(pod, spec, deps.client);
  } catch (err: unknown) {
    if (!(err instanceof CreateContainerConfigError)) throw err;
    errors.set(spec.name, { reason: 'CreateContainerConfigError', message: err.message });
    events.record(io, 'Warning', 'Failed', `Error: ${err.message}`);
    return 5000;
  }
  const attempt = last ? last.attempt + 1 : 0;
  const m = pod.metadata;
  try {
    const id = await runtime.createContainer(sandboxId, {
      name: spec.name,
      attempt,
      image,
      args: containerArgs(spec, info.config, env),
      env: [...(info.config.env ?? []), ...[...env].map(([k, v]) => `${k}=${v}`)],
      workingDir: spec.workingDir ?? info.config.workingDir ?? '/',
      mounts: [],
      devices: [],
      logPath: `${deps.podLogsDir}/${m.namespace ?? ''}_${m.name ?? ''}_${uid}/${spec.name}/${attempt}.log`,
      stdin: !!spec.stdin,
      stdinOnce: !!spec.stdinOnce,
      tty: !!spec.tty,
      stopSignal: info.config.stopSignal ?? 'SIGTERM',
      resources: {},
      security: {
        privileged: !!spec.securityContext?.privileged,
        capAdd: spec.securityContext?.capabilities?.add ?? [],
        capDrop: spec.securityContext?.capabilities?.drop ?? [],
        supplementalGroups: [],
        readOnlyRootfs: !!spec.securityContext?.readOnlyRootFilesystem,
        noNewPrivileges: spec.securityContext?.allowPrivilegeEscalation === false,
        procMount: 'Default',
      },
      labels: {
        [podUidLabel]: uid,
        [podNameLabel]: m.name ?? '',
        [podNamespaceLabel]: m.namespace ?? '',
        [containerNameLabel]: spec.name,
      },
      annotations: {},
    });
    events.record(io, 'Normal', 'Created', `Created container: ${spec.name}`);
    await runtime.startContainer(id);
    events.record(io, 'Normal', 'Started', `Started container ${spec.name}`);
    errors.delete(spec.name);
    // postStart runs synchronously: the next container is not created before it returns.
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
      const r = await runHook(postStart, {
        runtime,
        clock,
        pod,
        containerId: id,
        timeoutMs: grace * 1000,
        dial: deps.dial,
      });
      if (!r.ok) {
        events.record(io, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
        events.record(io, 'Normal', 'Killing', `FailedPostStartHook`);
        await runtime.stopContainer(id, grace);
        errors.set(spec.name, { reason: 'PostStartHookError', message: r.message });
      }
    }
  } catch (err: unknown) {
    const reason = err instanceof ContainerStartError ? err.reason : 'RunContainerError';
    const message = err instanceof Error ? err.message : String(err);
    errors.set(spec.name, { reason, message });
    events.record(io, 'Warning', 'Failed', `Error: ${message}`);
  }
  return undefined;
}

/** Computes and publishes the pod's status when it changed. */
export async function publishStatus(
  pod: Pod,
  deps: SyncDeps,
  sandboxReady: boolean,
  errors: Map<string, StartError>,
  terminal: boolean,
): Promise<void> {
  const uid = pod.metadata.uid ?? '';
  const instances = await deps.runtime.listContainers({ labels: { [podUidLabel]: uid } });
  const { initStatuses, statuses } = convertContainerStatuses(pod, {
    instances,
    startErrors: errors,
    probes: (_name, id) => deps.probes.result(id),
  });
  const phase = latchPhase(
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
  const status = {
    ...pod.status,
    phase,
    conditions,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    startTime: pod.status?.startTime ?? now,
  };
  if (JSON.stringify(status) === JSON.stringify(pod.status)) return;
  try {
    await deps.client.update(
      resources.pods,
      pod.metadata.namespace ?? '',
      { ...pod, status },
      { subresource: 'status', fieldManager: 'kubelet' },
    );
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err;
  }
}

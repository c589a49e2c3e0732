/**
 * Starting one container (syncPod step 5), in two steps: prepare (crash-loop back-off, the
 * image with its pull policy, pull back-off and events, the container's environment and volume
 * mounts, the runtime's create) and launch (start, then the postStart hook, which must return
 * before the next container starts). syncPod prepares a container while the previous one
 * launches; what preparing records is held back until launch, so nothing shows early.
 */
import type { Container, Pod } from '../k8s/types/pod.ts';
import { involvedObjectOf } from '../client/event-recorder.ts';
import type {
  ContainerStatus as Instance,
  LinuxSecurity,
  Mount,
} from '../runtime/container-runtime.ts';
import { containerResources, containerSecurity } from './container-linux.ts';
import { hostname } from 'node:os';
import { isNotFound } from '../k8s/errors.ts';
import { resources } from '../client/kube-client.ts';
import { kubeletMounts, podHostname } from './pod-sandbox.ts';
import { serviceEnv, type ServiceView } from './service-env.ts';
import { terminationLogMount } from './termination-message.ts';
import { VolumeError } from './volumes/volume-error.ts';
import { ContainerStartError, ImagePullError } from '../runtime/container-runtime.ts';
import { CrashLoopBackoff } from './backoff.ts';
import { containerArgs } from './container-command.ts';
import { CreateContainerConfigError, containerEnv } from './container-env.ts';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from './labels.ts';
import type { StartError } from './status/container-statuses.ts';
import { runHook } from './hooks.ts';
import { pullAuthFor } from './pull-secrets.ts';
import { killContainer } from './kill-pod.ts';
import type { SyncDeps } from './sync-pod.ts';

export function fieldPath(pod: Pod, name: string): string {
  return pod.spec.containers.some((c) => c.name === name)
    ? `spec.containers{${name}}`
    : `spec.initContainers{${name}}`;
}

/**
 * A container made ready to start: created in the runtime (which may still be setting it up in
 * the background), with the events its preparation produced held back so that they are
 * recorded in the kubelet's order (Pulled, Created, Started per container) however early it
 * was prepared.
 */
export interface PreparedContainer {
  /** Records the held events, starts the container and runs postStart; a back-off wait in ms. */
  launch(): Promise<number | undefined>;
}

/**
 * Everything before the start: crash-loop back-off, the image (pulled if needed), environment,
 * mounts and the runtime's create. Nothing it does is visible until `launch()`.
 */
export async function prepareContainer(
  pod: Pod,
  spec: Container,
  last: Instance | undefined,
  sandboxId: string,
  deps: SyncDeps,
  errors: Map<string, StartError>,
): Promise<PreparedContainer> {
  const { runtime, images, clock } = deps;
  const held: Parameters<SyncDeps['events']['record']>[] = [];
  const events = { record: (...a: Parameters<SyncDeps['events']['record']>) => void held.push(a) };
  const flush = (): void => {
    for (const a of held.splice(0)) deps.events.record(...a);
  };
  const done = (wait: number | undefined): PreparedContainer => ({
    launch: () => {
      flush();
      return Promise.resolve(wait);
    },
  });
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
      return done(d.delayMs);
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
      return done(undefined);
    }
    if (deps.pullBackoff.inBackoff(pullKey, clock.now())) {
      errors.set(spec.name, {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}"`,
      });
      events.record(io, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      events.record(io, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      return done(Math.max(1, deps.pullBackoff.remainingMs(pullKey, clock.now())));
    }
    events.record(io, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = clock.now();
    try {
      info = await images.pullImage(image, await pullAuthFor(pod, image, deps.client));
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
      return done(1000); // the next sync shows ImagePullBackOff until the window ends
    }
  } else {
    events.record(io, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
  }
  let env: Map<string, string>;
  let security: LinuxSecurity;
  let mounts: Mount[];
  try {
    env = await containerEnv(pod, spec, deps.client, {
      podIPs: deps.podIPs.get(uid) ?? [],
      ...(deps.network ? { hostIP: deps.network.hostIP() } : {}),
      services: serviceEnv(pod, await podServices(pod, deps)),
    });
    security = containerSecurity(pod, spec, info);
    mounts = [
      ...kubeletMounts(pod, deps),
      ...((await deps.volumes?.mountsFor(pod, spec, Object.fromEntries(env))) ?? []),
    ];
  } catch (err: unknown) {
    if (!(err instanceof CreateContainerConfigError) && !(err instanceof VolumeError)) throw err;
    errors.set(spec.name, { reason: 'CreateContainerConfigError', message: err.message });
    events.record(io, 'Warning', 'Failed', `Error: ${err.message}`);
    return done(5000);
  }
  const attempt = last ? last.attempt + 1 : 0;
  const m = pod.metadata;
  mounts.push(...(await terminationLogMount(pod, spec, attempt, deps)));
  let id: string;
  try {
    id = await runtime.createContainer(sandboxId, {
      name: spec.name,
      attempt,
      image,
      args: containerArgs(spec, info.config, env),
      // HOSTNAME first, as the CRI runtime adds it: the image's and the pod's own env win.
      env: [
        `HOSTNAME=${pod.spec.hostNetwork ? hostname() : podHostname(pod).hostname}`,
        ...(info.config.env ?? []),
        ...[...env].map(([k, v]) => `${k}=${v}`),
      ],
      workingDir: spec.workingDir ?? info.config.workingDir ?? '/',
      mounts,
      devices: [],
      logPath: `${deps.podLogsDir}/${m.namespace ?? ''}_${m.name ?? ''}_${uid}/${spec.name}/${attempt}.log`,
      stdin: !!spec.stdin,
      stdinOnce: !!spec.stdinOnce,
      tty: !!spec.tty,
      stopSignal: info.config.stopSignal ?? 'SIGTERM',
      resources: containerResources(pod, spec, deps.memoryCapacity ?? 8 * 2 ** 30),
      security,
      labels: {
        [podUidLabel]: uid,
        [podNameLabel]: m.name ?? '',
        [podNamespaceLabel]: m.namespace ?? '',
        [containerNameLabel]: spec.name,
      },
      annotations: {},
    });
  } catch (err: unknown) {
    failed(err);
    return done(undefined);
  }
  return { launch: () => launch(id) };

  function failed(err: unknown): void {
    const reason = err instanceof ContainerStartError ? err.reason : 'RunContainerError';
    const message = err instanceof Error ? err.message : String(err);
    errors.set(spec.name, { reason, message });
    events.record(io, 'Warning', 'Failed', `Error: ${message}`);
  }

  async function launch(id: string): Promise<number | undefined> {
    flush();
    const events = deps.events;
    try {
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
          await killContainer(pod, deps, { id, name: spec.name, message: 'FailedPostStartHook' });
          errors.set(spec.name, { reason: 'PostStartHookError', message: r.message });
        }
      }
    } catch (err: unknown) {
      failed(err);
      flush();
    }
    return undefined;
  }
}

/** The Services whose variables a container may get: its namespace's and default/kubernetes. */
async function podServices(pod: Pod, deps: SyncDeps): Promise<ServiceView[]> {
  const ns = pod.metadata.namespace ?? 'default';
  const out: ServiceView[] = [];
  if (pod.spec.enableServiceLinks ?? true)
    out.push(...(await deps.client.list<ServiceView>(resources.services, ns)).items);
  if (ns !== 'default' || !(pod.spec.enableServiceLinks ?? true)) {
    const master = await deps.client
      .get<ServiceView>(resources.services, 'default', 'kubernetes')
      .catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    if (master) out.push(master);
  }
  return out;
}

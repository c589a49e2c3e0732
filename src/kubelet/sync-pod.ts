/**
 * One sync of one pod, the kubelet's `syncPod` in numbered steps:
 *  1. observe the runtime (sandbox, newest instance per container);
 *  2. decide (computePodActions);
 *  3. create the sandbox and its network if needed (pod-sandbox.ts);
 *  4. kill what must stop;
 *  5. set up volumes, then start init containers, then regular containers (start-container.ts);
 *  6. publish status (containers, phase, conditions, IPs) when it changed.
 */
import type { Container, Pod } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { EventRecorder, involvedObjectOf } from '../client/event-recorder.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type {
  ContainerRuntime,
  ContainerStatus as Instance,
  ImageService,
} from '../runtime/container-runtime.ts';
import { CrashLoopBackoff, ImagePullBackoff } from './backoff.ts';
import { computePodActions, type ObservedContainer } from './compute-pod-actions.ts';
import { podUidLabel } from './labels.ts';
import type { StartError } from './status/container-statuses.ts';
import { podGraceSeconds } from './termination-order.ts';
import type { ProbeManager } from './prober/probe-manager.ts';
import type { ProbeDial } from './prober/run-probe.ts';
import { killContainer, killPod } from './kill-pod.ts';
import { publishStatus } from './pod-status-writes.ts';
import { ensureNetwork, runSandbox, type PodVolumes } from './pod-sandbox.ts';
import { prepareContainer, type PreparedContainer } from './start-container.ts';
import { VolumeError } from './volumes/volume-error.ts';
import type { PodNetwork } from '../network/pod-network.ts';

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
  /** The pod network (absent: pods get no IP, as in the fast tier). */
  network?: PodNetwork | undefined;
  volumes?: PodVolumes | undefined;
  /** `<data>/pods`: per-pod files of the kubelet (hosts file); absent in the fast tier. */
  podsDir?: string | undefined;
  /** IPs per pod uid, filled when the network is set up. */
  podIPs: Map<string, string[]>;
  /** Termination messages of exited instances by instance id (they never change). */
  terminationMessages?: Map<string, string> | undefined;
  /** Node memory capacity in bytes (Burstable OOM scores). */
  memoryCapacity?: number | undefined;
}

function newestByName(instances: Instance[]): Map<string, Instance> {
  const out = new Map<string, Instance>();
  for (const i of [...instances].sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt))
    if (!out.has(i.name)) out.set(i.name, i);
  return out;
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
  let network: Promise<unknown> = Promise.resolve();
  if (actions.createSandbox) {
    sandbox = await runSandbox(pod, sandboxes.length, deps);
    // The network is plumbed while the volumes are set up; both finish before any start.
    network = ensureNetwork(pod, sandbox, deps);
    network.catch(() => undefined); // awaited below
  } else if (sandbox) {
    await ensureNetwork(pod, sandbox, deps);
  }
  // Step 4: kills.
  if (actions.killPod) {
    await network;
    await killPod(pod, deps, podGraceSeconds(pod));
  } else {
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    await Promise.all(
      actions.containersToKill.map((k) => {
        const what = k.isInit ? `Init container ${k.name}` : `Container ${k.name}`;
        const why = {
          definitionChanged: 'definition changed',
          livenessProbe: 'failed liveness probe',
          startupProbe: 'failed startup probe',
          unknownState: 'is in an unknown state',
          podFailed: 'failed',
        }[k.reason];
        const spec = specs.find((c) => c.name === k.name);
        const probe =
          k.reason === 'livenessProbe'
            ? spec?.livenessProbe
            : k.reason === 'startupProbe'
              ? spec?.startupProbe
              : undefined;
        return killContainer(pod, deps, {
          id: k.id,
          name: k.name,
          message:
            k.reason === 'unknownState'
              ? `${k.isInit ? 'Init container' : 'Container'} is in "unknown" state, try killing it before restart`
              : `${what} ${why}${k.willRestart && !k.isInit ? ', will be restarted' : ''}`,
          graceSeconds: probe?.terminationGracePeriodSeconds,
        });
      }),
    );
    // Step 5: volumes (on every sync, so ConfigMap/Secret changes reach running pods), then
    // starts. A running pod whose volume update fails only gets the FailedMount event.
    const starts = actions.initContainersToStart.length + actions.containersToStart.length;
    const running = [...newest.values()].some((i) => i.state === 'running');
    const volumes =
      starts > 0 || running
        ? deps.volumes?.setUpPod(pod).then(
            () => undefined,
            (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
          )
        : undefined;
    await network;
    const err = await volumes;
    if (err !== undefined) {
      if (!(err instanceof VolumeError)) throw err;
      deps.events.record(involvedObjectOf(pod), 'Warning', 'FailedMount', err.message);
      if (starts > 0) {
        await publishStatus(pod, deps, true, errors, false);
        return { requeueAfterMs: 2000 };
      }
    }
    const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    const toStart = [...actions.initContainersToStart, ...actions.containersToStart].map((name) =>
      all.find((c) => c.name === name)!,
    );
    const prepare = (spec: Container): Promise<PreparedContainer> =>
      prepareContainer(pod, spec, newest.get(spec.name), sandbox!.id, deps, errors);
    // Containers start one after another, in order, as the kubelet starts them; the next one is
    // prepared (created in the runtime, which is most of the cost) while the previous starts,
    // unless it needs an image pull, which the kubelet only begins at that container's turn.
    let next = toStart[0] ? prepare(toStart[0]) : undefined;
    for (let i = 0; next; i++) {
      const current = await next;
      const following = toStart[i + 1];
      next =
        following && (await startsWithoutPull(following, deps)) ? prepare(following) : undefined;
      next?.catch(() => undefined); // awaited on the next turn
      const wait = await current.launch();
      if (wait !== undefined) requeue = Math.min(requeue ?? wait, wait);
      if (!next && following) next = prepare(following);
    }
    // Probe workers start with the instances they probe, not a sync later.
    if (starts > 0) {
      const now = newestByName(await runtime.listContainers({ labels: { [podUidLabel]: uid } }));
      deps.probes.sync(
        pod,
        [...now.values()].filter((i) => i.state === 'running'),
        false,
      );
    }
  }
  // Step 6: status.
  await publishStatus(pod, deps, !!sandbox && !actions.killPod, errors, actions.killPod);
  return requeue !== undefined ? { requeueAfterMs: requeue } : {};
}

/** Whether a container's image is present and its pull policy does not ask for a pull. */
async function startsWithoutPull(spec: Container, deps: SyncDeps): Promise<boolean> {
  if (spec.imagePullPolicy === 'Always') return false;
  return !!(await deps.images.imageStatus(spec.image ?? ''));
}

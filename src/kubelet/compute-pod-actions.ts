/**
 * computePodActions: the kubelet's pure decision of one sync (pod-lifecycle.md §3, §4): what to
 * create, start and kill, from the pod spec and the observed container instances. `syncPod`
 * carries the result out; back-off and image pulls are checked at start time, not here.
 */
import type { Container, Pod } from '../k8s/types/pod.ts';

/** One observed container instance (the newest per container name). */
export interface ObservedContainer {
  name: string;
  id: string;
  state: 'created' | 'running' | 'exited' | 'unknown';
  exitCode?: number;
  /** Image the instance was created from. */
  image: string;
  /** Running and (no startup probe, or it has succeeded). */
  started: boolean;
  /** The startup or liveness probe has reached its failure threshold on this instance. */
  probeFailed?: 'startup' | 'liveness';
}

/** What the sync observed. */
export interface ObservedPod {
  sandboxReady: boolean;
  /** Whether any sandbox ever existed for this pod. */
  hadSandbox: boolean;
  /** Newest instance per container name (init and regular). */
  containers: Map<string, ObservedContainer>;
  /** A regular container has ever been created in the current sandbox. */
  regularStarted: boolean;
}

/** Why a container is killed (drives the Killing event text). */
export type KillReason =
  'definitionChanged' | 'livenessProbe' | 'startupProbe' | 'unknownState' | 'podFailed';

/** A container to stop. */
export interface ContainerToKill {
  name: string;
  id: string;
  reason: KillReason;
  /** Whether a new instance will be started (`, will be restarted` in the event). */
  willRestart: boolean;
  isInit: boolean;
}

/** The result of one decision. */
export interface PodActions {
  /** Stop every container and the sandbox (pod failed or completed). */
  killPod: boolean;
  /** Why the whole pod stops: init failure under Never, or all regular containers done. */
  killPodReason?: 'initFailed' | 'completed';
  createSandbox: boolean;
  /** Init containers (regular or sidecar) to start, in order. */
  initContainersToStart: string[];
  /** Regular containers to start, in spec order. */
  containersToStart: string[];
  containersToKill: ContainerToKill[];
}

const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/** Whether a regular (or regular init) container should be (re)started (§4.1 ShouldContainerBeRestarted). */
export function shouldRestart(pod: Pod, c: ObservedContainer | undefined): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  if (!c) return true;
  if (c.state === 'running') return false;
  if (c.state === 'created' || c.state === 'unknown') return true;
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && c.exitCode === 0) return false;
  return true;
}

/** Decides one sync. */
export function computePodActions(pod: Pod, observed: ObservedPod): PodActions {
  const actions: PodActions = {
    killPod: false,
    createSandbox: false,
    initContainersToStart: [],
    containersToStart: [],
    containersToKill: [],
  };
  const policy = pod.spec.restartPolicy ?? 'Always';
  const inits = pod.spec.initContainers ?? [];
  if (!observed.sandboxReady) {
    if (policy === 'Never' && observed.hadSandbox && observed.containers.size > 0) {
      return { ...actions, killPod: true, killPodReason: 'completed' };
    }
    actions.createSandbox = true;
    if (inits.length) actions.initContainersToStart.push(inits[0]!.name);
    else actions.containersToStart.push(...pod.spec.containers.map((c) => c.name));
    return actions;
  }
  const kill = (
    c: ObservedContainer,
    reason: KillReason,
    willRestart: boolean,
    isInit: boolean,
  ): void => {
    actions.containersToKill.push({ name: c.name, id: c.id, reason, willRestart, isInit });
  };

  // Init phase: keep earlier sidecars alive, find the frontier.
  let initialized = observed.regularStarted || inits.length === 0;
  for (const [i, c] of inits.entries()) {
    const o = observed.containers.get(c.name);
    if (isSidecar(c)) {
      // A sidecar behind the frontier (a later init container has run) is kept alive without
      // holding initialization back; at the frontier it must be started before going on.
      const behind = initialized || inits.slice(i + 1).some((x) => observed.containers.has(x.name));
      const restartSidecar = (): void => {
        if (!actions.initContainersToStart.includes(c.name))
          actions.initContainersToStart.push(c.name);
      };
      if (!o) {
        restartSidecar();
        if (!behind) break;
        continue;
      }
      if (o.state === 'running') {
        if (o.probeFailed) {
          kill(o, o.probeFailed === 'startup' ? 'startupProbe' : 'livenessProbe', true, true);
          restartSidecar();
          if (!behind) break;
          continue;
        }
        if (o.image !== c.image) {
          kill(o, 'definitionChanged', true, true);
          restartSidecar();
          continue;
        }
        if (!o.started && !behind) break; // wait for its startup probe
        continue;
      }
      if (o.state === 'unknown') kill(o, 'unknownState', true, true);
      restartSidecar(); // exited (any code), created or unknown: sidecars always restart
      if (!behind) break;
      continue;
    }
    if (initialized) continue; // completed regular init containers never re-run
    if (!o) {
      actions.initContainersToStart.push(c.name);
      break;
    }
    if (o.state === 'running') break;
    if (o.state === 'exited' && o.exitCode === 0) continue;
    if (o.state === 'exited') {
      if (policy === 'Never')
        return {
          ...actions,
          killPod: true,
          killPodReason: 'initFailed',
          initContainersToStart: [],
          containersToKill: [],
        };
      actions.initContainersToStart.push(c.name);
      break;
    }
    if (o.state === 'unknown') {
      if (policy === 'Never')
        return {
          ...actions,
          killPod: true,
          killPodReason: 'initFailed',
          initContainersToStart: [],
          containersToKill: [],
        };
      kill(o, 'unknownState', true, true);
    }
    actions.initContainersToStart.push(c.name);
    break;
  }
  if (!initialized) {
    initialized = inits.every((c) => {
      const o = observed.containers.get(c.name);
      return isSidecar(c)
        ? o?.state === 'running' && o.started
        : o?.state === 'exited' && o.exitCode === 0;
    });
  }
  if (!initialized) return actions;

  // Regular containers.
  let keep = 0;
  for (const c of pod.spec.containers) {
    const o = observed.containers.get(c.name);
    if (o?.state === 'running') {
      if (o.image !== c.image) {
        kill(o, 'definitionChanged', true, false);
        actions.containersToStart.push(c.name);
        keep++;
        continue;
      }
      if (o.probeFailed) {
        const restart = policy !== 'Never';
        kill(o, o.probeFailed === 'startup' ? 'startupProbe' : 'livenessProbe', restart, false);
        if (restart) {
          actions.containersToStart.push(c.name);
          keep++;
        }
        continue;
      }
      keep++;
      continue;
    }
    if (o?.state === 'unknown') kill(o, 'unknownState', true, false);
    if (shouldRestart(pod, o)) {
      actions.containersToStart.push(c.name);
      keep++;
    }
  }
  // §4.4: nothing regular to keep or start: stop the sidecars, the pod is done.
  if (keep === 0 && pod.spec.containers.length > 0) {
    return {
      ...actions,
      killPod: true,
      killPodReason: 'completed',
      initContainersToStart: [],
      containersToStart: [],
    };
  }
  return actions;
}

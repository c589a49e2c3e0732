/**
 * `pods/<name>/log`: picks the container instance's CRI log file from the pod's status and
 * streams it (`kubectl logs` flags map to the query), with kube-apiserver's errors for a missing
 * or wrong container name and for a previous instance that does not exist.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestError } from '../k8s/errors.ts';
import type { Pod, ContainerStatus } from '../k8s/types/pod.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { ApiRequest, ApiResponse } from '../api/http-types.ts';
import type { StreamingHandler } from '../api/handlers/resource-handler.ts';
import { readCriLog, type LogReadOptions } from '../runtime/logs/cri-log-reader.ts';

/** Where a container instance's log lives (the layout the kubelet writes). */
export function containerLogPath(
  podLogsDir: string,
  pod: Pod,
  container: string,
  restartCount: number,
): string {
  const m = pod.metadata;
  return join(podLogsDir, `${m.namespace}_${m.name}_${m.uid}`, container, `${restartCount}.log`);
}

function allNames(pod: Pod): { regular: string[]; init: string[]; ephemeral: string[] } {
  return {
    regular: pod.spec.containers.map((c) => c.name),
    init: (pod.spec.initContainers ?? []).map((c) => c.name),
    ephemeral: (pod.spec.ephemeralContainers ?? []).map((c) => c.name),
  };
}

/** Resolves the container name as kube-apiserver's log REST does. */
export function resolveContainer(pod: Pod, requested: string | null): string {
  const names = allNames(pod);
  const name = pod.metadata.name ?? '';
  if (!requested) {
    // With one regular container kube-apiserver picks it, whatever init or ephemeral ones exist.
    if (names.regular.length === 1) return names.regular[0]!;
    const parts = [
      `a container name must be specified for pod ${name}, choose one of: [${names.regular.join(' ')}]`,
    ];
    if (names.init.length) parts.push(`or one of the init containers: [${names.init.join(' ')}]`);
    if (names.ephemeral.length)
      parts.push(`or one of the ephemeral containers: [${names.ephemeral.join(' ')}]`);
    throw new BadRequestError(parts.join(' '));
  }
  if (![...names.regular, ...names.init, ...names.ephemeral].includes(requested))
    throw new BadRequestError(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  const s = pod.status;
  return [
    ...(s?.containerStatuses ?? []),
    ...(s?.initContainerStatuses ?? []),
    ...(s?.ephemeralContainerStatuses ?? []),
  ].find((c) => c.name === container);
}

/**
 * Which instance (restart number, the log file's name) a request reads, as the kubelet picks
 * the container ID from the status: `previous` is `lastState.terminated`, which is the instance
 * before the running one, or the instance that just died while the next one waits (back-off);
 * without `previous`, the running or finished instance, or while waiting the one that died last.
 * Undefined when `previous` asks for an instance that does not exist.
 */
export function instanceToRead(
  status: ContainerStatus | undefined,
  previous: boolean,
): number | undefined {
  const n = status?.restartCount ?? 0;
  const waiting = status?.state?.waiting !== undefined;
  if (!previous) return n;
  if (!status?.lastState?.terminated) return undefined;
  return waiting ? n : n - 1;
}

/** Options for {@link podLogHandler}. */
export interface PodLogHandlerOptions {
  podLogsDir: string;
  /** Reads the pod's current state (follow ends when the instance has exited). */
  getPod(namespace: string, name: string): KubeObject | undefined;
}

/** The streaming handler for `pods/log`. */
export function podLogHandler(options: PodLogHandlerOptions): StreamingHandler {
  return (req: ApiRequest, _info, object): Promise<ApiResponse> => {
    const pod = object as Pod;
    const q = req.query;
    const container = resolveContainer(pod, q.get('container'));
    const status = statusOf(pod, container);
    const podName = pod.metadata.name ?? '';
    const previous = q.get('previous') === 'true';
    const instance = instanceToRead(status, previous);
    const path =
      instance === undefined
        ? undefined
        : containerLogPath(options.podLogsDir, pod, container, instance);
    if (previous && (path === undefined || !existsSync(path))) {
      throw new BadRequestError(
        `previous terminated container "${container}" in pod "${podName}" not found`,
      );
    }
    if (path === undefined || !existsSync(path)) {
      const reason =
        status?.state?.waiting?.reason ??
        (pod.status?.initContainerStatuses?.length ? 'PodInitializing' : 'ContainerCreating');
      throw new BadRequestError(
        `container "${container}" in pod "${podName}" is waiting to start: ${reason}`,
      );
    }
    const num = (k: string): number | undefined => {
      const v = q.get(k);
      if (v === null || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new BadRequestError(`invalid value for ${k}: ${v}`);
      return n;
    };
    const sinceSeconds = num('sinceSeconds');
    const sinceTime = q.get('sinceTime');
    const tailLines = num('tailLines');
    const limitBytes = num('limitBytes');
    const follow = q.get('follow') === 'true' && !previous;
    const uid = pod.metadata.uid;
    const readOpts: LogReadOptions = {
      timestamps: q.get('timestamps') === 'true',
      follow,
      signal: req.signal,
      ...(tailLines !== undefined && tailLines >= 0 ? { tailLines } : {}),
      ...(limitBytes !== undefined && limitBytes > 0 ? { limitBytes } : {}),
      ...(sinceSeconds !== undefined ? { sinceMs: Date.now() - sinceSeconds * 1000 } : {}),
      ...(sinceTime ? { sinceMs: Date.parse(sinceTime) } : {}),
      isFinished: () => {
        const live = options.getPod(pod.metadata.namespace ?? '', podName) as Pod | undefined;
        if (!live || live.metadata.uid !== uid) return true;
        const s = statusOf(live, container);
        if (!s) return true;
        return s.restartCount !== instance || !s.state?.running;
      },
    };
    return Promise.resolve({
      status: 200,
      headers: {
        'content-type': 'text/plain',
        ...(follow ? { 'transfer-encoding': 'chunked' } : {}),
      },
      body: readCriLog(path, readOpts),
    });
  };
}

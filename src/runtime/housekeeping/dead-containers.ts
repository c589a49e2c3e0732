/**
 * Garbage collection of exited containers, as the kubelet's container GC does with its
 * defaults (`MaxPerPodContainer` 1): for each container of each pod, only the newest exited
 * instance is kept (that is what `kubectl logs --previous` reads); older ones are removed with
 * their log files. Containers of pods that no longer exist are the kubelet's housekeeping.
 */
import { rm } from 'node:fs/promises';
import type { ContainerRuntime } from '../container-runtime.ts';
import { rotatedFiles } from './log-rotation.ts';

/** Removes surplus exited instances; `podKey` names the label pair that identifies a pod. */
export async function collectDeadContainers(
  runtime: ContainerRuntime,
  podLabel: string,
  keepPerContainer = 1,
): Promise<string[]> {
  const groups = new Map<string, { id: string; createdAt: number; logPath: string }[]>();
  for (const c of await runtime.listContainers()) {
    if (c.state !== 'exited') continue;
    const key = `${c.labels[podLabel] ?? ''}/${c.name}`;
    const list = groups.get(key) ?? [];
    list.push({ id: c.id, createdAt: c.createdAt, logPath: c.logPath });
    groups.set(key, list);
  }
  const removed: string[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => b.createdAt - a.createdAt);
    for (const c of list.slice(keepPerContainer)) {
      await runtime.removeContainer(c.id);
      for (const f of [c.logPath, ...(await rotatedFiles(c.logPath))]) await rm(f, { force: true });
      removed.push(c.id);
    }
  }
  return removed;
}

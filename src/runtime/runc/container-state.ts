/**
 * A container's state as the runtime reports it, derived from its record and conmon's files:
 * the exit file gives the exit code and time, conmon's `oom` marker gives OOMKilled, and a
 * started container whose conmon is gone without an exit file is ContainerStatusUnknown.
 * What is learnt is written back to the record, so it survives `/run` being wiped.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerStatus } from '../container-runtime.ts';
import { readProcFileSync } from '../../lib/proc-file.ts';
import { readExitFile } from './exit-watcher.ts';
import { writeJson, type ContainerRecord } from './records.ts';
import { bundleDir, type RuntimePaths } from './runtime-paths.ts';

/** conmon's pid per container, read once from `conmon.pid` (it never changes). */
const conmonPids = new Map<string, number>();

/** Whether the container's conmon still runs (its pid, checked once to be that conmon). */
async function conmonAlive(paths: RuntimePaths, rec: ContainerRecord): Promise<boolean> {
  let pid = conmonPids.get(rec.id);
  if (pid === undefined) {
    try {
      const text = await readFile(join(bundleDir(paths, rec.id), 'conmon.pid'), 'utf8');
      const cmdline = await readFile(`/proc/${text.trim()}/cmdline`, 'utf8');
      if (!cmdline.includes('conmon') || !cmdline.includes(rec.id)) return false;
      pid = Number(text.trim());
      conmonPids.set(rec.id, pid);
    } catch {
      return false;
    }
  }
  // One small procfs read (no error object while it runs); a zombie counts as gone.
  try {
    const stat = readProcFileSync(`/proc/${pid}/stat`);
    if (stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z') return true;
  } catch {
    /* gone */
  }
  conmonPids.delete(rec.id);
  return false;
}

/** Forgets what was cached about a container (it was removed). */
export function forgetContainer(id: string): void {
  conmonPids.delete(id);
}

/** Reads the exit file (and OOM marker) of a container not yet known to have finished. */
export async function refreshRecord(paths: RuntimePaths, rec: ContainerRecord): Promise<void> {
  if (rec.finishedAt !== undefined) return;
  const exit = await readExitFile(paths.exits, rec.id);
  const b = bundleDir(paths, rec.id);
  if (!exit) {
    // conmon writes the exit file, then exits: look again once it is gone, before calling the
    // container lost (it may have finished between the two reads).
    if (
      rec.startedAt !== undefined &&
      !(await conmonAlive(paths, rec)) &&
      !(await readExitFile(paths.exits, rec.id))
    ) {
      Object.assign(rec, { finishedAt: Date.now(), exitCode: 137 });
      rec.reason = 'ContainerStatusUnknown';
      rec.message = 'The container could not be located when the pod was terminated';
      await writeJson(join(b, 'container.json'), rec).catch(() => undefined);
    }
    return;
  }
  const oom = existsSync(join(b, 'persist', 'oom')) || existsSync(join(b, 'oom'));
  rec.exitCode = exit.exitCode;
  rec.finishedAt = exit.finishedAt;
  rec.reason = oom ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error';
  await writeJson(join(b, 'container.json'), rec).catch(() => undefined);
}

/** The runtime's view of a (refreshed) record. */
export function statusOf(rec: ContainerRecord): ContainerStatus {
  const state =
    rec.finishedAt !== undefined
      ? rec.reason === 'ContainerStatusUnknown'
        ? 'unknown'
        : 'exited'
      : rec.startedAt !== undefined
        ? 'running'
        : 'created';
  return {
    id: rec.id,
    sandboxId: rec.sandboxId,
    name: rec.name,
    attempt: rec.attempt,
    state,
    createdAt: rec.createdAt,
    ...(rec.startedAt ? { startedAt: rec.startedAt } : {}),
    ...(rec.finishedAt !== undefined ? { finishedAt: rec.finishedAt } : {}),
    ...(rec.exitCode !== undefined ? { exitCode: rec.exitCode } : {}),
    ...(rec.reason !== undefined ? { reason: rec.reason } : {}),
    ...(rec.message !== undefined ? { message: rec.message } : {}),
    image: rec.image,
    imageId: rec.imageId,
    ...(rec.imageRef !== undefined ? { imageRef: rec.imageRef } : {}),
    logPath: rec.logPath,
    labels: rec.labels,
    annotations: rec.annotations,
  };
}

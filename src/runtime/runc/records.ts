/**
 * What the runc runtime writes next to each sandbox and container: its identity and the facts
 * only the runtime knows (creation and start times, the final state once read), as JSON written
 * atomically. A restarted daemon rebuilds its whole view from these files plus conmon's exit
 * files, which is what lets it re-adopt running containers instead of restarting them.
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  ContainerConfig,
  SandboxConfig,
  SandboxState,
  SandboxStatus,
  ImageInfo,
} from '../container-runtime.ts';

/** A sandbox on disk. */
export interface SandboxRecord {
  id: string;
  state: SandboxState;
  createdAt: number;
  config: SandboxConfig;
  netnsPath?: string;
  utsPath: string;
  ipcPath?: string;
  /** `/proc/<infra pid>/ns/pid` when containers share a PID namespace. */
  pidnsPath?: string;
  /** True for hostPID: containers join the host's PID namespace. */
  hostPID?: boolean;
  /** Files mounted into every container (`/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`). */
  etcFiles: Record<string, string>;
}

/** A container on disk. */
export interface ContainerRecord {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  image: string;
  imageId: string;
  imageRef?: string;
  logPath: string;
  stopSignal: string;
  stdin: boolean;
  stdinOnce?: boolean;
  tty: boolean;
  labels: ContainerConfig['labels'];
  annotations: ContainerConfig['annotations'];
  createdAt: number;
  startedAt?: number;
  pid?: number;
  /** Set once the container has ended and its exit file was read. */
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
}

/** Writes `value` as JSON to `file` atomically. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, file);
}

/** Reads every `<dir>/<id>/<name>` JSON record; skips unreadable ones. */
export async function readRecords<T>(dir: string, name: string): Promise<T[]> {
  let ids: string[];
  try {
    ids = await readdir(dir);
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const id of ids) {
    try {
      out.push(JSON.parse(await readFile(join(dir, id, name), 'utf8')) as T);
    } catch {
      /* a half-created entry: the runtime's cleanup removes it */
    }
  }
  return out;
}

/** The runtime's view of a sandbox record (IPs come from the pod network, not from here). */
export function sandboxStatusOf(r: SandboxRecord): SandboxStatus {
  return {
    id: r.id,
    state: r.state,
    createdAt: r.createdAt,
    ...(r.netnsPath !== undefined ? { netnsPath: r.netnsPath } : {}),
    ips: [],
    config: r.config,
  };
}

/** The record of a container just created from `config` and `image`. */
export function newContainerRecord(
  id: string,
  sandboxId: string,
  config: ContainerConfig,
  image: ImageInfo,
): ContainerRecord {
  return {
    id,
    sandboxId,
    name: config.name,
    attempt: config.attempt,
    image: config.image,
    imageId: image.id,
    ...(image.repoDigests[0] !== undefined ? { imageRef: image.repoDigests[0] } : {}),
    logPath: config.logPath,
    stopSignal: config.stopSignal,
    stdin: config.stdin,
    stdinOnce: config.stdinOnce,
    tty: config.tty,
    labels: config.labels,
    annotations: config.annotations,
    createdAt: Date.now(),
  };
}

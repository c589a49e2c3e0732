/**
 * Termination messages (pod-lifecycle.md §8.2): every container gets a file of its own in the
 * pod directory bind-mounted at `terminationMessagePath`; once the instance has exited, the file
 * (at most 4096 bytes) becomes `state.terminated.message`. With `FallbackToLogsOnError`, a
 * failed container that left the file empty gets the tail of its log instead (last 80 lines, at
 * most 2048 bytes).
 */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '../k8s/types/pod.ts';
import type { ContainerStatus as Instance, Mount } from '../runtime/container-runtime.ts';
import type { SyncDeps } from './sync-pod.ts';

export const maxMessageBytes = 4096;
export const fallbackLines = 80;
export const fallbackBytes = 2048;

/** The host file behind a container instance's termination message. */
export function terminationLogPath(
  podsDir: string,
  uid: string,
  container: string,
  attempt: number,
): string {
  return join(podsDir, uid, 'containers', container, `${attempt}.termination-log`);
}

/** Creates the (empty) file of a new instance and returns its mount (none in the fast tier). */
export async function terminationLogMount(
  pod: Pod,
  spec: Container,
  attempt: number,
  deps: SyncDeps,
): Promise<Mount[]> {
  const target = spec.terminationMessagePath ?? '/dev/termination-log';
  if (deps.podsDir === undefined || target === '') return [];
  const file = terminationLogPath(deps.podsDir, pod.metadata.uid ?? '', spec.name, attempt);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, '', { mode: 0o666 });
  return [{ containerPath: target, hostPath: file, readOnly: false }];
}

async function readHead(file: string, max: number): Promise<string> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The text of a `k8s-file` log (`<time> <stream> <P|F> <text>` lines), last `lines` lines. */
export function logTail(log: string, lines: number, bytes: number): string {
  let text = '';
  for (const line of log.split('\n')) {
    const m = /^\S+ (?:stdout|stderr) ([PF]) ?(.*)$/.exec(line);
    if (!m) continue;
    text += (m[2] ?? '') + (m[1] === 'F' ? '\n' : '');
  }
  const tail = text.split('\n');
  if (tail[tail.length - 1] === '') tail.pop();
  let out = tail.slice(-lines).join('\n');
  if (text.endsWith('\n') && out) out += '\n';
  const b = Buffer.from(out);
  return b.length > bytes ? b.subarray(b.length - bytes).toString('utf8') : out;
}

/** The termination message of an exited instance (cached: it cannot change any more). */
export async function terminationMessage(
  pod: Pod,
  instance: Instance,
  deps: SyncDeps,
): Promise<string | undefined> {
  const cache = deps.terminationMessages;
  const hit = cache?.get(instance.id);
  if (hit !== undefined) return hit || undefined;
  const spec = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find(
    (c) => c.name === instance.name,
  );
  let message = '';
  if (deps.podsDir !== undefined && spec) {
    const file = terminationLogPath(
      deps.podsDir,
      pod.metadata.uid ?? '',
      instance.name,
      instance.attempt,
    );
    message = await readHead(file, maxMessageBytes);
    if (
      !message &&
      spec.terminationMessagePolicy === 'FallbackToLogsOnError' &&
      (instance.exitCode ?? 0) !== 0
    ) {
      const log = await readFile(instance.logPath, 'utf8').catch(() => '');
      message = logTail(log, fallbackLines, fallbackBytes);
    }
  }
  cache?.set(instance.id, message);
  if (cache && cache.size > 10_000) cache.delete(cache.keys().next().value!);
  return message || undefined;
}

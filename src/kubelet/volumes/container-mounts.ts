/**
 * A container's `volumeMounts` as runtime mounts, the way the kubelet makes them: the volume's
 * host directory (or a `subPath` / expanded `subPathExpr` inside it), read-only when the mount
 * asks or the volume is always read-only. A missing subPath is created as directories with the
 * volume root's mode, never following a symlink out of the volume; the final path is resolved
 * and must stay inside the volume. Failures are CreateContainerConfigError with the kubelet's
 * words (details that would reveal the host's layout only go to the log).
 */
import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import type { Container, Pod, Volume, VolumeMount } from '../../k8s/types/pod.ts';
import type { Logger } from '../../lib/log.ts';
import type { Mount } from '../../runtime/container-runtime.ts';
import { CreateContainerConfigError } from '../container-env.ts';

/** Where a volume lives on the host and whether containers always see it read-only. */
export type VolumeLocator = (v: Volume) => { hostPath: string; readOnly: boolean };

/** `$(VAR)` expansion of a subPathExpr; a missing or empty variable is an error. */
export function expandSubPathExpr(expr: string, env: Record<string, string>): string {
  const missing = new Set<string>();
  const out = expr.replace(/\$\$|\$\(([^)]*)\)/g, (all, name: string | undefined) => {
    if (all === '$$') return '$';
    const v = Object.hasOwn(env, name!) ? env[name!]! : '';
    if (v === '') missing.add(name!);
    return v;
  });
  if (missing.size) {
    throw new CreateContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  }
  return out;
}

const within = (p: string, base: string): boolean => p === base || p.startsWith(base + sep);

/** Creates `sub` under `base` component by component; refuses symlinks that leave `base`. */
async function safeMakeDir(base: string, sub: string, mode: number): Promise<void> {
  const realBase = await realpath(base);
  let cur = realBase;
  for (const part of sub.split('/').filter((s) => s && s !== '.')) {
    const next = join(cur, part);
    const st = await lstat(next).catch(() => undefined);
    if (!st) {
      await mkdir(next, { mode });
      await chmod(next, mode);
      cur = next;
      continue;
    }
    const resolved = await realpath(next);
    if (!within(resolved, realBase)) throw new Error(`${next} resolves outside of ${realBase}`);
    if (!(await stat(resolved)).isDirectory()) throw new Error(`${next} is not a directory`);
    cur = resolved;
  }
}

const propagation: Record<string, Mount['propagation']> = {
  None: 'private',
  HostToContainer: 'hostToContainer',
  Bidirectional: 'bidirectional',
};

async function subPathMount(
  c: Container,
  vm: VolumeMount,
  subPath: string,
  volumePath: string,
  log: Logger,
): Promise<string> {
  if (posix.isAbsolute(subPath)) {
    throw new CreateContainerConfigError(
      `error SubPath \`${subPath}\` must not be an absolute path`,
    );
  }
  if (subPath.split('/').includes('..')) {
    throw new CreateContainerConfigError(
      `unable to provision SubPath \`${subPath}\`: must not contain '..'`,
    );
  }
  const full = join(volumePath, subPath);
  const fields = { container: c.name, volumeMount: vm.name, subPath };
  if (!(await stat(full).catch(() => undefined))) {
    try {
      await safeMakeDir(volumePath, subPath, (await stat(volumePath)).mode & 0o7777);
    } catch (err: unknown) {
      log.warn('Could not create subPath directory', { ...fields, err });
      throw new CreateContainerConfigError(
        `failed to create subPath directory for volumeMount "${vm.name}" of container "${c.name}"`,
      );
    }
  }
  try {
    const base = await realpath(volumePath);
    const resolved = await realpath(full);
    if (!within(resolved, base)) throw new Error(`${resolved} is not within ${base}`);
    return resolved;
  } catch (err: unknown) {
    log.warn('Could not prepare subPath', { ...fields, err });
    throw new CreateContainerConfigError(
      `failed to prepare subPath for volumeMount "${vm.name}" of container "${c.name}"`,
    );
  }
}

/** The runtime mounts for one container. */
export async function containerMounts(
  pod: Pod,
  c: Container,
  env: Record<string, string>,
  locate: VolumeLocator,
  log: Logger,
): Promise<Mount[]> {
  const out: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const v = pod.spec.volumes?.find((x) => x.name === vm.name);
    if (!v) {
      throw new CreateContainerConfigError(
        `cannot find volume "${vm.name}" to mount into container "${c.name}"`,
      );
    }
    const where = locate(v);
    const subPath = vm.subPathExpr ? expandSubPathExpr(vm.subPathExpr, env) : (vm.subPath ?? '');
    const hostPath = subPath
      ? await subPathMount(c, vm, subPath, where.hostPath, log)
      : where.hostPath;
    const prop = vm.mountPropagation ? propagation[vm.mountPropagation] : undefined;
    out.push({
      containerPath: vm.mountPath,
      hostPath,
      readOnly: !!vm.readOnly || where.readOnly,
      ...(prop ? { propagation: prop } : {}),
    });
  }
  return out;
}

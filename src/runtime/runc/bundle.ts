/**
 * Writes one container's bundle: the overlay root filesystem (image layers below, a fresh
 * upper dir per container instance, so a restart starts from the image again), the process
 * user resolved against the image's own passwd/group files, and config.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig } from '../container-runtime.ts';
import { resolveUser } from './image-user.ts';
import { mountOverlay } from './mounts.ts';
import { buildOciSpec } from './oci-spec.ts';
import type { SandboxRecord } from './records.ts';

/** What a bundle is made from. */
export interface BundleInput {
  bundle: string;
  lowerDirs: string[];
  sandbox: SandboxRecord;
  config: ContainerConfig;
  cgroupsPath: string;
  hostLimits: { nofileHard: number; oomScoreAdj: number };
  allCapabilities: readonly string[];
}

/** Creates `<bundle>/{upper,work,rootfs}`, mounts the overlay and writes config.json. */
export async function writeBundle(o: BundleInput): Promise<void> {
  const b = o.bundle;
  const rootfs = join(b, 'rootfs');
  await Promise.all(['upper', 'work', 'rootfs'].map((d) => mkdir(join(b, d), { recursive: true })));
  await mountOverlay(o.lowerDirs, join(b, 'upper'), join(b, 'work'), rootfs);
  const { sandbox, config } = o;
  const sec = config.security;
  const user = await resolveUser(rootfs, {
    ...(sec.runAsUser !== undefined ? { runAsUser: sec.runAsUser } : {}),
    ...(sec.runAsGroup !== undefined ? { runAsGroup: sec.runAsGroup } : {}),
    ...(sec.runAsUsername !== undefined ? { imageUser: sec.runAsUsername } : {}),
    supplementalGroups: sec.supplementalGroups,
  });
  const etcMounts = Object.entries(sandbox.etcFiles)
    .filter(([target]) => !config.mounts.some((m) => m.containerPath === target))
    .map(([containerPath, hostPath]) => ({ containerPath, hostPath, readonly: false }));
  const r = config.resources;
  const spec = buildOciSpec({
    args: config.args,
    env: config.env,
    cwd: config.workingDir || '/',
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    hostname: sandbox.config.hostname,
    rootfs,
    cgroupsPath: o.cgroupsPath,
    ...(sandbox.netnsPath !== undefined ? { netnsPath: sandbox.netnsPath } : {}),
    utsPath: sandbox.utsPath,
    ...(sandbox.ipcPath !== undefined ? { ipcPath: sandbox.ipcPath } : {}),
    ...(sandbox.pidnsPath !== undefined ? { pidnsPath: sandbox.pidnsPath } : {}),
    ...(sandbox.hostPID === true ? { hostPID: true } : {}),
    mounts: [
      ...etcMounts,
      ...config.mounts.map((m) => ({
        containerPath: m.containerPath,
        hostPath: m.hostPath,
        readonly: m.readOnly,
      })),
    ],
    privileged: sec.privileged,
    capAdd: sec.capAdd,
    capDrop: sec.capDrop,
    noNewPrivileges: sec.noNewPrivileges,
    readonlyRootfs: sec.readOnlyRootfs,
    procMount: sec.procMount,
    terminal: config.tty,
    ...(sandbox.config.sysctls ? { sysctl: sandbox.config.sysctls } : {}),
    ...(r.memoryLimitBytes ? { memoryLimitBytes: r.memoryLimitBytes } : {}),
    ...(r.cpuShares ? { cpuShares: r.cpuShares } : {}),
    ...(r.cpuQuota ? { cpuQuota: r.cpuQuota, cpuPeriod: r.cpuPeriod ?? 100000 } : {}),
    ...(r.oomScoreAdj !== undefined ? { oomScoreAdj: r.oomScoreAdj } : {}),
    hostLimits: o.hostLimits,
    allCapabilities: o.allCapabilities,
  });
  await writeFile(join(b, 'config.json'), JSON.stringify(spec));
}

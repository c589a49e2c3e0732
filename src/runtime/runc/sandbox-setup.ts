/**
 * Making one pod sandbox: its namespaces, the files mounted into every container (`/etc/hosts`,
 * `/etc/hostname`, `/etc/resolv.conf`), the infra container when the pod shares one PID
 * namespace, and the record that lets a restarted daemon find it all again. A failure leaves
 * nothing behind.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxConfig } from '../container-runtime.ts';
import { startInfra, stopInfra, type InfraHandle } from './infra-container.ts';
import { writeJson, type SandboxRecord } from './records.ts';
import {
  createSandboxNamespaces,
  destroySandboxNamespaces,
  writeEtcFiles,
} from './sandbox-namespaces.ts';

/** What {@link setUpSandbox} needs. */
export interface SandboxSetup {
  id: string;
  /** The sandbox's directory (created here). */
  dir: string;
  config: SandboxConfig;
  infra: InfraHandle;
  /** cgroup of the infra container. */
  cgroupsPath: string;
  hostLimits: { nofileHard: number; oomScoreAdj: number };
}

/** Creates the sandbox and writes its record (`sandbox.json`). */
export async function setUpSandbox(o: SandboxSetup): Promise<SandboxRecord> {
  const { id, dir, config } = o;
  await mkdir(dir, { recursive: true });
  try {
    const ns = await createSandboxNamespaces(id, dir, {
      hostname: config.hostname,
      hostNetwork: config.hostNetwork,
      hostIPC: config.hostIPC,
    });
    const rec: SandboxRecord = {
      id,
      state: 'ready',
      createdAt: Date.now(),
      config,
      utsPath: ns.utsPath,
      ...(ns.netnsPath !== undefined ? { netnsPath: ns.netnsPath } : {}),
      ...(ns.ipcPath !== undefined ? { ipcPath: ns.ipcPath } : {}),
      etcFiles: await writeEtcFiles(dir, config),
    };
    if (config.hostPID) rec.hostPID = true;
    else if (config.shareProcessNamespace) {
      const pid = await startInfra({
        ...o.infra,
        hostname: config.hostname,
        cgroupsPath: o.cgroupsPath,
        ...(ns.netnsPath !== undefined ? { netnsPath: ns.netnsPath } : {}),
        utsPath: ns.utsPath,
        ...(ns.ipcPath !== undefined ? { ipcPath: ns.ipcPath } : {}),
        hostLimits: o.hostLimits,
      });
      rec.pidnsPath = `/proc/${pid}/ns/pid`;
    }
    await writeJson(join(dir, 'sandbox.json'), rec);
    return rec;
  } catch (err: unknown) {
    await stopInfra(o.infra).catch(() => undefined);
    await destroySandboxNamespaces(id, dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The one case a sandbox needs a process: `shareProcessNamespace: true`. A PID namespace dies
 * with its init, so the sandbox runs `catatonit -P` (pause mode: reaps zombies, exits on
 * SIGTERM) as PID 1 of a shared PID namespace that every container of the pod joins by path
 * (notes/runtime.md §1.1). Its root filesystem is an empty directory with the static catatonit
 * binary bind-mounted in; it runs detached under runc alone (no logs, no exit code needed).
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../lib/command.ts';
import { unmountAll } from './mounts.ts';
import { buildOciSpec } from './oci-spec.ts';
import { runcEnv } from './sealed-runc.ts';

/** Where catatonit is installed (Debian package `catatonit`). */
export const CATATONIT = '/usr/bin/catatonit';

/** What the infra container joins and where it lives. */
export interface InfraSpec {
  runc: string;
  runcRoot: string;
  id: string;
  dir: string;
  hostname: string;
  cgroupsPath: string;
  netnsPath?: string;
  utsPath: string;
  ipcPath?: string;
  hostLimits: { nofileHard: number; oomScoreAdj: number };
}

/** Starts the infra container; resolves with its pid on the host. */
export async function startInfra(s: InfraSpec): Promise<number> {
  const rootfs = join(s.dir, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  const spec = buildOciSpec({
    args: ['/catatonit', '-P'],
    env: [],
    cwd: '/',
    uid: 0,
    gid: 0,
    hostname: s.hostname,
    rootfs,
    cgroupsPath: s.cgroupsPath,
    ...(s.netnsPath !== undefined ? { netnsPath: s.netnsPath } : {}),
    utsPath: s.utsPath,
    ...(s.ipcPath !== undefined ? { ipcPath: s.ipcPath } : {}),
    mounts: [{ containerPath: '/catatonit', hostPath: CATATONIT, readonly: true }],
    capDrop: ['ALL'],
    hostLimits: s.hostLimits,
  });
  await writeFile(join(s.dir, 'config.json'), JSON.stringify(spec));
  const pidFile = join(s.dir, 'pid');
  // The container inherits runc's stdio: give it files, not pipes someone would wait on.
  const errFile = join(s.dir, 'runc.err');
  const err = await open(errFile, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        s.runc,
        ['--root', s.runcRoot, 'run', '--detach', '--pid-file', pidFile, '--bundle', s.dir, s.id],
        { stdio: ['ignore', 'ignore', err.fd], env: runcEnv() },
      );
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0)
      throw new Error(
        `runc run (infra) exited ${String(code)}: ${await readFile(errFile, 'utf8')}`,
      );
  } finally {
    await err.close();
  }
  return Number((await readFile(pidFile, 'utf8')).trim());
}

/** The runc identity and directory of a sandbox's infra container. */
export interface InfraHandle {
  runc: string;
  runcRoot: string;
  id: string;
  dir: string;
}

/** Where a sandbox's infra container lives. */
export function infraHandle(
  runc: string,
  runcRoot: string,
  sandboxDir: string,
  sandboxId: string,
): InfraHandle {
  return { runc, runcRoot, id: `${sandboxId}-infra`, dir: join(sandboxDir, 'infra') };
}

/** Kills and deletes the infra container; idempotent. */
export async function stopInfra(
  s: Pick<InfraSpec, 'runc' | 'runcRoot' | 'id' | 'dir'>,
): Promise<void> {
  await runCommand(s.runc, ['--root', s.runcRoot, 'delete', '--force', s.id], {
    env: runcEnv(),
  }).catch(() => undefined);
  await unmountAll(join(s.dir, 'rootfs'));
}

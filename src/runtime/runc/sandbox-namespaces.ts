/**
 * A pod sandbox's shared namespaces without a pause process (notes/runtime.md §1.1): network,
 * UTS and IPC namespaces pinned by bind mounts onto files (the network one under `/run/netns`,
 * so `ip netns` sees it), all made by one util-linux `unshare`, which also brings loopback up
 * (or, for a host-network pod, sets the pod's hostname).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../lib/command.ts';
import type { SandboxConfig } from '../container-runtime.ts';
import { unmountAll } from './mounts.ts';

/** Paths of a sandbox's namespaces; absent ones are the host's. */
export interface SandboxNamespaces {
  netnsName?: string;
  netnsPath?: string;
  utsPath: string;
  ipcPath?: string;
}

/** The netns name of a sandbox (short: it also names things in `ip netns list`). */
export const netnsNameOf = (sandboxId: string): string => `pb-${sandboxId.slice(0, 12)}`;

/** Creates the namespaces under `dir/ns`. */
export async function createSandboxNamespaces(
  sandboxId: string,
  dir: string,
  opts: { hostname: string; hostNetwork: boolean; hostIPC: boolean },
): Promise<SandboxNamespaces> {
  const nsDir = join(dir, 'ns');
  await mkdir(nsDir, { recursive: true });
  const out: SandboxNamespaces = { utsPath: join(nsDir, 'uts') };
  // One process makes and pins every namespace, brings loopback up and sets the hostname.
  const args: string[] = [];
  if (!opts.hostNetwork) {
    const name = netnsNameOf(sandboxId);
    out.netnsName = name;
    out.netnsPath = `/run/netns/${name}`;
    await mkdir('/run/netns', { recursive: true });
    await writeFile(out.netnsPath, '', { flag: 'wx' });
    args.push(`--net=${out.netnsPath}`);
  }
  await writeFile(out.utsPath, '');
  args.push(`--uts=${out.utsPath}`);
  if (!opts.hostIPC) {
    out.ipcPath = join(nsDir, 'ipc');
    await writeFile(out.ipcPath, '');
    args.push(`--ipc=${out.ipcPath}`);
  }
  // With its own network namespace, the sandbox needs loopback up; the hostname is then set by
  // runc as each container joins the UTS namespace (config.json `hostname`). A host-network
  // sandbox has only its UTS namespace to set up.
  await runCommand(
    'unshare',
    opts.hostNetwork
      ? [...args, 'hostname', opts.hostname.slice(0, 63)]
      : [...args, 'ip', 'link', 'set', 'lo', 'up'],
  );
  return out;
}

/** Releases the namespaces; idempotent. */
export async function destroySandboxNamespaces(sandboxId: string, dir: string): Promise<void> {
  await unmountAll(join(dir, 'ns'));
  await rm(join(dir, 'ns'), { recursive: true, force: true });
  const netns = `/run/netns/${netnsNameOf(sandboxId)}`;
  await unmountAll(netns);
  await rm(netns, { force: true });
}

/** Writes the files mounted into every container: `/etc/hosts`, `/etc/hostname`, resolv.conf. */
export async function writeEtcFiles(
  dir: string,
  config: Pick<SandboxConfig, 'hostsFile' | 'hostname' | 'resolvConf'>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const etc: [string, string | undefined][] = [
    ['/etc/hosts', config.hostsFile],
    ['/etc/hostname', `${config.hostname}\n`],
    ['/etc/resolv.conf', config.resolvConf],
  ];
  for (const [target, content] of etc) {
    if (content === undefined) continue;
    const file = join(dir, target.slice(5));
    await writeFile(file, content, { mode: 0o644 });
    out[target] = file;
  }
  return out;
}

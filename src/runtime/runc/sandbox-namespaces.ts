/**
 * A pod sandbox's shared namespaces without a pause process (notes/runtime.md §1.1): a named
 * network namespace from `ip netns add`, and UTS and IPC namespaces pinned by bind mounts onto
 * files, made by util-linux `unshare`, which also sets the pod's hostname inside.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../lib/command.ts';
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
  if (!opts.hostNetwork) {
    const name = netnsNameOf(sandboxId);
    await runCommand('ip', ['netns', 'add', name]);
    await runCommand('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    out.netnsName = name;
    out.netnsPath = `/run/netns/${name}`;
  }
  await writeFile(out.utsPath, '');
  const args = [`--uts=${out.utsPath}`];
  if (!opts.hostIPC) {
    out.ipcPath = join(nsDir, 'ipc');
    await writeFile(out.ipcPath, '');
    args.push(`--ipc=${out.ipcPath}`);
  }
  await runCommand('unshare', [...args, 'hostname', opts.hostname.slice(0, 63)]);
  return out;
}

/** Releases the namespaces; idempotent. */
export async function destroySandboxNamespaces(sandboxId: string, dir: string): Promise<void> {
  await unmountAll(join(dir, 'ns'));
  await rm(join(dir, 'ns'), { recursive: true, force: true });
  await runCommand('ip', ['netns', 'del', netnsNameOf(sandboxId)]).catch(() => undefined);
}

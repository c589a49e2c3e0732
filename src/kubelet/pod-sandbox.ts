/**
 * The pod-wide part of a sync: the sandbox (namespaces from the runtime, addresses from the pod
 * network), the kubelet-managed `/etc/hosts` file mounted into every container, the pod's
 * volumes, and the cleanup once a pod is gone: network torn down, containers and sandbox
 * removed, volumes unmounted, the pod's directory and logs deleted.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '../k8s/types/pod.ts';
import type { Mount, SandboxStatus } from '../runtime/container-runtime.ts';
import type { PodNetworkTarget } from '../network/pod-network.ts';
import { podUidLabel } from './labels.ts';
import type { SyncDeps } from './sync-pod.ts';

/** The pod's volumes, as the kubelet's volume manager offers them. */
export interface PodVolumes {
  setUpPod(pod: Pod, signal?: AbortSignal): Promise<void>;
  mountsFor(pod: Pod, container: Container, env: Record<string, string>): Promise<Mount[]>;
  tearDownPod(podUid: string): Promise<void>;
}

const podDir = (deps: SyncDeps, uid: string): string => join(deps.podsDir ?? '/nonexistent', uid);

function target(s: SandboxStatus): PodNetworkTarget {
  return {
    sandboxId: s.id,
    podUid: s.config.podUid,
    podName: s.config.podName,
    podNamespace: s.config.podNamespace,
    ...(s.netnsPath !== undefined ? { netnsPath: s.netnsPath } : {}),
  };
}

/** The hostname and optional FQDN of a pod (`hostname`, `subdomain`). */
export function podHostname(pod: Pod): { hostname: string; fqdn?: string } {
  const hostname = (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63);
  const sub = pod.spec.subdomain;
  return sub
    ? { hostname, fqdn: `${hostname}.${sub}.${pod.metadata.namespace ?? ''}.svc.cluster.local` }
    : { hostname };
}

/** The kubelet-managed hosts file of a pod with these IPs. */
export function hostsFile(pod: Pod, ips: string[]): string {
  const { hostname, fqdn } = podHostname(pod);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...ips.map((ip) => `${ip}\t${fqdn ? `${fqdn}\t` : ''}${hostname}`),
  ];
  for (const h of pod.spec.hostAliases ?? [])
    if (h.ip && h.hostnames?.length) lines.push(`${h.ip}\t${h.hostnames.join('\t')}`);
  return `${lines.join('\n')}\n`;
}

/** Creates the sandbox (its network is set up by {@link ensureNetwork}). */
export async function runSandbox(
  pod: Pod,
  attempt: number,
  deps: SyncDeps,
): Promise<SandboxStatus> {
  const uid = pod.metadata.uid ?? '';
  const resolvConf = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return deps.runtime.runPodSandbox({
    podUid: uid,
    podName: pod.metadata.name ?? '',
    podNamespace: pod.metadata.namespace ?? '',
    attempt,
    hostname: podHostname(pod).hostname,
    hostNetwork: !!pod.spec.hostNetwork,
    hostIPC: !!pod.spec.hostIPC,
    hostPID: !!pod.spec.hostPID,
    shareProcessNamespace: !!pod.spec.shareProcessNamespace,
    resolvConf,
    ...(pod.spec.securityContext?.sysctls?.length
      ? {
          sysctls: Object.fromEntries(
            pod.spec.securityContext.sysctls.map((s) => [s.name, s.value]),
          ),
        }
      : {}),
    labels: { [podUidLabel]: uid },
    annotations: {},
  });
}

/** Sets up (idempotently) the network of a ready sandbox and writes the pod's hosts file. */
export async function ensureNetwork(
  pod: Pod,
  sandbox: SandboxStatus,
  deps: SyncDeps,
): Promise<string[]> {
  const uid = pod.metadata.uid ?? '';
  let ips = deps.podIPs.get(uid);
  if (!ips) {
    ips = deps.network ? (await deps.network.setUp(target(sandbox))).ips : [];
    deps.podIPs.set(uid, ips);
    if (deps.podsDir !== undefined) {
      await mkdir(podDir(deps, uid), { recursive: true });
      await writeFile(join(podDir(deps, uid), 'etc-hosts'), hostsFile(pod, ips));
    }
  }
  return ips;
}

/** Mounts every container gets from the kubelet itself (the hosts file). */
export function kubeletMounts(pod: Pod, deps: SyncDeps): Mount[] {
  if (deps.podsDir === undefined || pod.spec.hostNetwork) return [];
  const hostPath = join(podDir(deps, pod.metadata.uid ?? ''), 'etc-hosts');
  return [{ containerPath: '/etc/hosts', hostPath, readOnly: false }];
}

/** Tears the network down and stops the sandboxes of a pod (containers are kept for logs). */
export async function stopSandboxes(uid: string, deps: SyncDeps): Promise<void> {
  for (const s of (await deps.runtime.listPodSandboxes()).filter((x) => x.config.podUid === uid)) {
    if (deps.network) await deps.network.tearDown(target(s));
    await deps.runtime.stopPodSandbox(s.id);
  }
  deps.podIPs.delete(uid);
}

/** Removes everything a pod left on the node. */
export async function cleanupPod(uid: string, deps: SyncDeps): Promise<void> {
  await stopSandboxes(uid, deps);
  for (const s of (await deps.runtime.listPodSandboxes()).filter((x) => x.config.podUid === uid))
    await deps.runtime.removePodSandbox(s.id);
  for (const c of await deps.runtime.listContainers({ labels: { [podUidLabel]: uid } }))
    await deps.runtime.removeContainer(c.id);
  await deps.volumes?.tearDownPod(uid);
  if (deps.podsDir !== undefined) await rm(podDir(deps, uid), { recursive: true, force: true });
  const logDirs = await readdir(deps.podLogsDir).catch(() => [] as string[]);
  for (const d of logDirs.filter((x) => x.endsWith(`_${uid}`)))
    await rm(join(deps.podLogsDir, d), { recursive: true, force: true });
  deps.startErrors.delete(uid);
}

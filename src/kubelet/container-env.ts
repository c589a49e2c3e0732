/**
 * A container's environment as the kubelet builds it (pod-lifecycle.md §12): `envFrom`
 * (ConfigMaps/Secrets, with prefixes), then `env` entries in order with `$(VAR)` expansion,
 * `valueFrom` from ConfigMap/Secret keys, pod fields and container resources, and the
 * service-link variables (service-env.ts; usable in `$(VAR)`, overridden by the container's own).
 * A missing ConfigMap, Secret or key that is not optional is a CreateContainerConfigError with the
 * kubelet's message.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Container, Pod } from '../k8s/types/pod.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';
import { expandVars } from './container-command.ts';
import { hostCapacity, resourceFieldValue, type NodeCapacity } from './volumes/downward-api.ts';

/** What the environment reads besides the API: the pod's addresses, Services, node capacity. */
export interface EnvContext {
  /** The pod's IPs (from its sandbox; status may not carry them yet). */
  podIPs?: string[];
  hostIP?: string;
  /** Service-link variables (service-env.ts). */
  services?: Map<string, string>;
  /** What unset limits default to (default: this machine). */
  node?: NodeCapacity;
}

/** Thrown when the container's configuration cannot be built (waiting reason CreateContainerConfigError). */
export class CreateContainerConfigError extends Error {
  override name = 'CreateContainerConfigError';
}

type Kind = 'configmap' | 'secret';

async function read(
  client: KubeClient,
  kind: Kind,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  try {
    const obj: KubeObject = await client.get(
      kind === 'configmap' ? resources.configMaps : resources.secrets,
      namespace,
      name,
    );
    const data = (obj['data'] as Record<string, string> | undefined) ?? {};
    if (kind === 'configmap') return data;
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  } catch (err: unknown) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function fieldValue(pod: Pod, path: string, ctx: EnvContext): string {
  const m = pod.metadata;
  const podIPs = ctx.podIPs?.length ? ctx.podIPs : (pod.status?.podIPs ?? []).map((i) => i.ip);
  const hostIP = ctx.hostIP ?? pod.status?.hostIP ?? '';
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
    case 'status.hostIP':
      return hostIP;
    case 'status.hostIPs':
      return hostIP;
    default: {
      const lm = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (lm) return (lm[1] === 'labels' ? m.labels : m.annotations)?.[lm[2]!] ?? '';
      return '';
    }
  }
}

/** The container's environment (name → value), in the kubelet's order. */
export async function containerEnv(
  pod: Pod,
  c: Container,
  client: KubeClient,
  ctx: EnvContext = {},
): Promise<Map<string, string>> {
  const ns = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>();
  const services = ctx.services ?? new Map<string, string>();
  const lookup = (): Map<string, string> => new Map([...services, ...env]);
  const cache = new Map<string, Record<string, string> | undefined>();
  const source = async (kind: Kind, name: string): Promise<Record<string, string> | undefined> => {
    const k = `${kind}/${name}`;
    if (!cache.has(k)) cache.set(k, await read(client, kind, ns, name));
    return cache.get(k);
  };
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind: Kind = from.configMapRef ? 'configmap' : 'secret';
    if (!ref?.name) continue;
    const data = await source(kind, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new CreateContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env.set(`${from.prefix ?? ''}${k}`, v);
  }
  for (const e of c.env ?? []) {
    const vf = e.valueFrom;
    if (!vf) {
      env.set(e.name, expandVars(e.value ?? '', lookup()));
      continue;
    }
    const keyRef = vf.configMapKeyRef ?? vf.secretKeyRef;
    if (keyRef) {
      const kind: Kind = vf.configMapKeyRef ? 'configmap' : 'secret';
      const data = await source(kind, keyRef.name ?? '');
      if (!data) {
        if (keyRef.optional) continue;
        throw new CreateContainerConfigError(`${kind} "${keyRef.name ?? ''}" not found`);
      }
      const v = data[keyRef.key];
      if (v === undefined) {
        if (keyRef.optional) continue;
        const label = kind === 'configmap' ? 'ConfigMap' : 'Secret';
        throw new CreateContainerConfigError(
          `couldn't find key ${keyRef.key} in ${label} ${ns}/${keyRef.name ?? ''}`,
        );
      }
      env.set(e.name, v);
      continue;
    }
    if (vf.fieldRef) env.set(e.name, fieldValue(pod, vf.fieldRef.fieldPath, ctx));
    if (vf.resourceFieldRef) {
      const ref = {
        ...vf.resourceFieldRef,
        containerName: vf.resourceFieldRef.containerName || c.name,
      };
      try {
        env.set(e.name, resourceFieldValue(pod, ref, ctx.node ?? hostCapacity()));
      } catch (err: unknown) {
        throw new CreateContainerConfigError((err as Error).message);
      }
    }
  }
  for (const [k, v] of services) if (!env.has(k)) env.set(k, v);
  return env;
}

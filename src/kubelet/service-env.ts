/**
 * Service-link environment variables (the kubelet's getServiceEnvVarMap): for the `kubernetes`
 * Service of `default` always, and for every Service of the pod's namespace unless
 * `enableServiceLinks: false`: `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`,
 * `<NAME>_SERVICE_PORT_<PORTNAME>`, and the Docker-link style `<NAME>_PORT`,
 * `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`. Headless Services (and those without a
 * cluster IP) give none.
 */
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Pod } from '../k8s/types/pod.ts';

/** The parts of a Service the variables read. */
export interface ServiceView extends KubeObject {
  spec?: {
    clusterIP?: string;
    ports?: { name?: string; port: number; protocol?: string }[];
  };
}

const envName = (s: string): string => s.toUpperCase().replace(/-/g, '_');

function varsOf(svc: ServiceView, out: Map<string, string>): void {
  const ip = svc.spec?.clusterIP;
  const ports = svc.spec?.ports ?? [];
  if (!ip || ip === 'None' || ports.length === 0) return;
  const name = envName(svc.metadata.name ?? '');
  out.set(`${name}_SERVICE_HOST`, ip);
  out.set(`${name}_SERVICE_PORT`, String(ports[0]!.port));
  for (const p of ports)
    if (p.name) out.set(`${name}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
  const first = ports[0]!;
  const url = (p: { port: number; protocol?: string }): string =>
    `${(p.protocol ?? 'TCP').toLowerCase()}://${ip}:${p.port}`;
  out.set(`${name}_PORT`, url(first));
  for (const p of ports) {
    const proto = (p.protocol ?? 'TCP').toUpperCase();
    const prefix = `${name}_PORT_${p.port}_${proto}`;
    out.set(prefix, url(p));
    out.set(`${prefix}_PROTO`, proto.toLowerCase());
    out.set(`${prefix}_PORT`, String(p.port));
    out.set(`${prefix}_ADDR`, ip);
  }
}

/** The service-link variables of `pod` given every Service of its namespace and of `default`. */
export function serviceEnv(pod: Pod, services: ServiceView[]): Map<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const links = pod.spec.enableServiceLinks ?? true;
  const out = new Map<string, string>();
  const picked = services.filter((s) => {
    const sns = s.metadata.namespace ?? '';
    if (sns === 'default' && s.metadata.name === 'kubernetes') return true;
    return links && sns === ns;
  });
  // The pod's own namespace wins over the master service on a name clash.
  picked.sort((a, b) => Number(a.metadata.namespace === ns) - Number(b.metadata.namespace === ns));
  for (const s of picked) varsOf(s, out);
  return out;
}

/**
 * The Endpoints controller: for every Service with a selector, an Endpoints object of the same
 * name listing the matching pods' IPs (ready ones as `addresses`, the others as
 * `notReadyAddresses`) and the resolved target ports.
 */
import { isAlreadyExists, isNotFound } from '../k8s/errors.ts';
import { labelSelectorFromObject } from '../k8s/selectors/label-selector.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Pod } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { Informer } from '../client/informer.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';
import { isPodReady, stableJson } from './pod-helpers.ts';
import { WorkQueue, keyOf, splitKey } from './work-queue.ts';

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
}

interface Service extends KubeObject {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[] };
}

/** Options for {@link EndpointsController}. */
export interface EndpointsControllerOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
}

function resolvePort(pod: Pod, sp: ServicePort): number | undefined {
  const t = sp.targetPort ?? sp.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? []) if (p.name === t) return p.containerPort;
  return undefined;
}

/** The Endpoints `subsets` for a service and its pods. */
export function endpointSubsets(svc: Service, pods: Pod[]): unknown[] {
  const groups = new Map<
    string,
    { ports: object[]; addresses: object[]; notReadyAddresses: object[] }
  >();
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (!ip || pod.metadata.deletionTimestamp) continue;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const ports = (svc.spec?.ports ?? []).flatMap((sp) => {
      const port = resolvePort(pod, sp);
      return port === undefined
        ? []
        : [{ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' }];
    });
    const k = stableJson(ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports, addresses: [], notReadyAddresses: [] }));
    const address = {
      ip,
      ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
        uid: pod.metadata.uid ?? '',
      },
    };
    (isPodReady(pod) ? g.addresses : g.notReadyAddresses).push(address);
  }
  const byIp = (a: object, b: object): number =>
    (a as { ip: string }).ip.localeCompare((b as { ip: string }).ip);
  return [...groups.values()].map((g) => ({
    ...(g.addresses.length ? { addresses: g.addresses.sort(byIp) } : {}),
    ...(g.notReadyAddresses.length ? { notReadyAddresses: g.notReadyAddresses.sort(byIp) } : {}),
    ...(g.ports.length ? { ports: g.ports } : {}),
  }));
}

/** Keeps Endpoints in step with Services and pods. */
export class EndpointsController {
  readonly #o: EndpointsControllerOptions;
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #queue: WorkQueue;

  constructor(options: EndpointsControllerOptions) {
    this.#o = options;
    const { client, clock, log } = options;
    this.#services = new Informer<Service>({ client, resource: resources.services, clock, log });
    this.#pods = new Informer<Pod>({ client, resource: resources.pods, clock, log });
    this.#queue = new WorkQueue({
      name: 'endpoints',
      clock,
      log,
      reconcile: (key) => this.#reconcile(key).then(() => undefined),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#services.onChange((e) => this.#queue.add(keyOf(e.object)));
    this.#pods.onChange((e) => {
      for (const svc of this.#services.list())
        if (svc.metadata.namespace === e.object.metadata.namespace) this.#queue.add(keyOf(svc));
    });
    const loops = [this.#services.run(signal), this.#pods.run(signal)];
    await Promise.all([this.#services.synced(), this.#pods.synced()]);
    await Promise.all([...loops, this.#queue.run(signal)]);
  }

  async #reconcile(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.#services.get(ns, name);
    const { client } = this.#o;
    if (!svc) {
      await client.delete(resources.endpoints, ns, name).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      return;
    }
    if (!svc.spec?.selector || name === 'kubernetes') return;
    const selector = labelSelectorFromObject({ matchLabels: svc.spec.selector });
    const pods = this.#pods
      .list()
      .filter((p) => p.metadata.namespace === ns && selector.matches(p.metadata.labels));
    const subsets = endpointSubsets(svc, pods);
    const desired: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name,
        namespace: ns,
        ...(svc.metadata.labels ? { labels: svc.metadata.labels } : {}),
      },
      ...(subsets.length ? { subsets } : {}),
    };
    try {
      const live = await client.get(resources.endpoints, ns, name);
      if (
        stableJson(live['subsets'] ?? []) === stableJson(subsets) &&
        stableJson(live.metadata.labels ?? {}) === stableJson(svc.metadata.labels ?? {})
      )
        return;
      await client.update(resources.endpoints, ns, {
        ...desired,
        metadata: { ...live.metadata, labels: svc.metadata.labels ?? {} },
      });
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err;
      await client.create(resources.endpoints, ns, desired).catch((e: unknown) => {
        if (!isAlreadyExists(e)) throw e;
      });
    }
  }
}

/**
 * Gives every namespace what kube-controller-manager gives it: the `default` ServiceAccount and
 * the `kube-root-ca.crt` ConfigMap (which pods' projected service-account volumes read).
 */
import { isAlreadyExists } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { Informer } from '../client/informer.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';

/** Options for {@link ServiceAccountController}. */
export interface ServiceAccountControllerOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  /** PEM of the cluster CA published in kube-root-ca.crt (may take a moment to create). */
  caCertificate: string | Promise<string>;
}

/** Ensures the default ServiceAccount and root CA ConfigMap in every active namespace. */
export class ServiceAccountController {
  readonly #o: ServiceAccountControllerOptions;

  constructor(options: ServiceAccountControllerOptions) {
    this.#o = options;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { client, clock, log } = this.#o;
    const namespaces = new Informer({ client, resource: resources.namespaces, clock, log });
    const pending = new Set<Promise<void>>();
    namespaces.onChange((e) => {
      if (e.type !== 'added') return;
      const p: Promise<void> = this.#ensure(e.object, signal)
        .catch((err: unknown) => {
          if (!signal.aborted) {
            log.warn('Could not create namespace defaults', {
              namespace: e.object.metadata.name,
              err,
            });
          }
        })
        .finally(() => pending.delete(p));
      pending.add(p);
    });
    await namespaces.run(signal);
    // Let in-flight writes finish before the daemon closes the store.
    await Promise.allSettled([...pending]);
  }

  async #ensure(ns: KubeObject, signal: AbortSignal): Promise<void> {
    if (ns.metadata.deletionTimestamp || signal.aborted) return;
    const name = ns.metadata.name ?? '';
    const { client } = this.#o;
    const create = async (
      ref: typeof resources.serviceAccounts | typeof resources.configMaps,
      obj: KubeObject,
    ): Promise<void> => {
      if (signal.aborted) return;
      try {
        await client.create(ref, name, obj, { fieldManager: 'kube-controller-manager' });
      } catch (err: unknown) {
        if (!isAlreadyExists(err)) throw err;
      }
    };
    await create(resources.serviceAccounts, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: name },
    });
    await create(resources.configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: name,
        annotations: {
          'kubernetes.io/description': 'The CA bundle that verifies this podbay API server.',
        },
      },
      data: { 'ca.crt': await this.#o.caCertificate },
    });
  }
}

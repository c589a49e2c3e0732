/**
 * The namespace controller: when a namespace is being deleted (Terminating), deletes every
 * object in it, waits until they are gone (pods shut down gracefully first), then removes the
 * `kubernetes` finalizer so the API server removes the namespace itself.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { Informer } from '../client/informer.ts';
import { resources, type KubeClient, type ResourceRef } from '../client/kube-client.ts';

/** Options for {@link NamespaceController}. */
export interface NamespaceControllerOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  /** Every namespaced resource the server serves (what a namespace can contain). */
  namespacedResources: ResourceRef[];
  /** How often a terminating namespace is re-checked while its content shuts down. */
  recheckMs?: number;
}

/** Deletes namespaces' contents, then finalizes them. */
export class NamespaceController {
  readonly #o: NamespaceControllerOptions;
  readonly #busy = new Set<string>();

  constructor(options: NamespaceControllerOptions) {
    this.#o = options;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { client, clock, log } = this.#o;
    const informer = new Informer({ client, resource: resources.namespaces, clock, log });
    informer.onChange((e) => {
      if (e.type !== 'deleted' && e.object.metadata.deletionTimestamp)
        this.#drive(e.object, signal);
    });
    await informer.run(signal);
  }

  #drive(ns: KubeObject, signal: AbortSignal): void {
    const name = ns.metadata.name ?? '';
    if (this.#busy.has(name)) return;
    this.#busy.add(name);
    const loop = async (): Promise<void> => {
      while (!signal.aborted) {
        try {
          if (await this.#cleanup(name)) return;
        } catch (err: unknown) {
          if (isNotFound(err)) return;
          this.#o.log.warn('Namespace cleanup failed; retrying', { namespace: name, err });
        }
        await this.#o.clock.sleep(this.#o.recheckMs ?? 500, signal).catch(() => undefined);
      }
    };
    loop()
      .catch((err: unknown) =>
        this.#o.log.error('Namespace controller failed', { namespace: name, err }),
      )
      .finally(() => this.#busy.delete(name));
  }

  /** One pass; true when the namespace has been finalized. */
  async #cleanup(name: string): Promise<boolean> {
    const { client } = this.#o;
    let remaining = 0;
    for (const ref of this.#o.namespacedResources) {
      const list = await client.list(ref, name);
      for (const item of list.items) {
        remaining++;
        if (item.metadata.deletionTimestamp) continue;
        try {
          await client.delete(ref, name, item.metadata.name ?? '', {
            propagationPolicy: 'Background',
          });
        } catch (err: unknown) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    if (remaining > 0) return false;
    const ns = await client.get(resources.namespaces, '', name);
    const spec = (ns['spec'] as { finalizers?: string[] } | undefined) ?? {};
    const finalizers = (spec.finalizers ?? []).filter((f) => f !== 'kubernetes');
    await client.update(
      resources.namespaces,
      '',
      { ...ns, spec: { ...spec, finalizers } },
      { subresource: 'finalize' },
    );
    return true;
  }
}

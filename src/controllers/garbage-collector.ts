/**
 * The garbage collector, for the ownership chains podbay's controllers create
 * (Deployment → ReplicaSet → Pod, Job → Pod): when an owner is gone, its dependents are deleted
 * in the background, as with `propagationPolicy: Background`. A periodic sweep catches owners
 * deleted while the daemon was down.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { Informer } from '../client/informer.ts';
import { resources, type KubeClient, type ResourceRef } from '../client/kube-client.ts';

/** Options for {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  sweepIntervalMs?: number;
}

interface Watched {
  ref: ResourceRef;
  informer: Informer;
}

/** Deletes dependents whose owner no longer exists. */
export class GarbageCollector {
  readonly #o: GarbageCollectorOptions;
  readonly #watched: Watched[];

  constructor(options: GarbageCollectorOptions) {
    this.#o = options;
    const { client, clock, log } = options;
    this.#watched = [
      resources.deployments,
      resources.replicaSets,
      resources.jobs,
      resources.pods,
    ].map((ref) => ({
      ref,
      informer: new Informer({ client, resource: ref, clock, log }),
    }));
  }

  async run(signal: AbortSignal): Promise<void> {
    const loops = this.#watched.map((w) => w.informer.run(signal));
    for (const w of this.#watched) {
      w.informer.onChange((e) => {
        if (e.type === 'deleted')
          void this.#collectDependentsOf(e.object).catch((err: unknown) =>
            this.#o.log.warn('Garbage collection failed', { err }),
          );
      });
    }
    await Promise.all(this.#watched.map((w) => w.informer.synced()));
    const sweep = async (): Promise<void> => {
      while (!signal.aborted) {
        await this.#sweep().catch((err: unknown) =>
          this.#o.log.warn('Garbage collection sweep failed', { err }),
        );
        await this.#o.clock.sleep(this.#o.sweepIntervalMs ?? 30_000, signal).catch(() => undefined);
      }
    };
    await Promise.all([...loops, sweep()]);
  }

  #uids(): Set<string> {
    const out = new Set<string>();
    for (const w of this.#watched)
      for (const o of w.informer.list()) if (o.metadata.uid) out.add(o.metadata.uid);
    return out;
  }

  async #delete(w: Watched, obj: KubeObject): Promise<void> {
    if (obj.metadata.deletionTimestamp) return;
    await this.#o.client
      .delete(w.ref, obj.metadata.namespace ?? '', obj.metadata.name ?? '', {
        propagationPolicy: 'Background',
        preconditions: { uid: obj.metadata.uid ?? '' },
      })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }

  async #collectDependentsOf(owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const w of this.#watched) {
      for (const o of w.informer.list()) {
        if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) await this.#delete(w, o);
      }
    }
  }

  async #ownersGone(
    namespace: string,
    refs: { kind: string; name: string; uid: string }[],
  ): Promise<boolean> {
    const byKind: Record<string, ResourceRef> = {
      Deployment: resources.deployments,
      ReplicaSet: resources.replicaSets,
      Job: resources.jobs,
    };
    for (const r of refs) {
      const ref = byKind[r.kind];
      if (!ref) return false;
      try {
        const owner = await this.#o.client.get(ref, namespace, r.name);
        if (owner.metadata.uid === r.uid) return false;
      } catch (err: unknown) {
        if (!isNotFound(err)) throw err;
      }
    }
    return true;
  }

  async #sweep(): Promise<void> {
    const live = this.#uids();
    for (const w of this.#watched) {
      for (const o of w.informer.list()) {
        const refs = o.metadata.ownerReferences ?? [];
        const tracked = refs.filter((r) => ['Deployment', 'ReplicaSet', 'Job'].includes(r.kind));
        if (tracked.length === 0 || tracked.some((r) => live.has(r.uid))) continue;
        // Caches can lag behind a just-created owner: confirm with the API before deleting.
        if (await this.#ownersGone(o.metadata.namespace ?? '', tracked)) await this.#delete(w, o);
      }
    }
  }
}

/**
 * Records core/v1 Events as Kubernetes components do: one Event per (object, reason, message,
 * source), and repeats of it bump `count` and `lastTimestamp` instead of creating new Events.
 * Recording never throws: a failed write is logged and dropped.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { resources, type KubeClient } from './kube-client.ts';

/** The object an Event is about. */
export interface InvolvedObject {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** Options for {@link EventRecorder}. */
export interface EventRecorderOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  /** `kubelet`, `default-scheduler`, `replicaset-controller`, … */
  component: string;
  host?: string;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
}

const randomHex = (): string =>
  Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0')
    .slice(0, 12);

/** `InvolvedObject` for a stored object. */
export function involvedObjectOf(obj: KubeObject, fieldPath?: string): InvolvedObject {
  return {
    kind: obj.kind ?? '',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
    ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
    ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
    ...(fieldPath ? { fieldPath } : {}),
  };
}

/** Writes Events for one component. */
export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #seen = new Map<string, Recorded>();
  #chain: Promise<void> = Promise.resolve();

  constructor(options: EventRecorderOptions) {
    this.#o = options;
  }

  /** Records an Event (asynchronously, in order). */
  record(
    object: InvolvedObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    this.#chain = this.#chain
      .then(() => this.#write(object, type, reason, message))
      .catch((err: unknown) => {
        this.#o.log.warn('Could not record event', {
          reason,
          object: `${object.namespace ?? ''}/${object.name}`,
          err,
        });
      });
  }

  /** Resolves when every Event recorded so far has been written (tests). */
  flush(): Promise<void> {
    return this.#chain;
  }

  async #write(
    object: InvolvedObject,
    type: string,
    reason: string,
    message: string,
  ): Promise<void> {
    const { client, clock, component, host } = this.#o;
    const namespace = object.namespace || 'default';
    const key = [
      object.uid ?? '',
      object.kind,
      object.name,
      object.fieldPath ?? '',
      type,
      reason,
      message,
    ].join('\u0000');
    const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const prev = this.#seen.get(key);
    if (prev) {
      prev.count++;
      try {
        await client.patch(
          resources.events,
          prev.namespace,
          prev.name,
          { count: prev.count, lastTimestamp: now },
          'merge',
        );
        return;
      } catch (err: unknown) {
        if (!isNotFound(err)) throw err;
      }
    }
    const name = `${object.name}.${randomHex()}${randomHex().slice(0, 4)}`;
    await client.create(resources.events, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: object,
      reason,
      message,
      type,
      source: { component, ...(host ? { host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: component,
      reportingInstance: host ?? '',
    });
    this.#seen.set(key, { name, namespace, count: 1 });
    if (this.#seen.size > 4096) this.#seen.delete(this.#seen.keys().next().value!);
  }
}

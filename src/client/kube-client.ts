/**
 * The typed Kubernetes client that controllers, the kubelet and the CLI use: get, list, create,
 * update, patch, delete and watch, by resource. Failures come back as the error classes of
 * `k8s/errors.ts` (rebuilt from the server's Status), so callers write `isNotFound(err)`.
 */
import { errorFromStatus, InternalError } from '../k8s/errors.ts';
import { isStatus, type Status } from '../k8s/status.ts';
import type { KubeList, KubeObject, WatchEvent } from '../k8s/types/meta.ts';
import { readBody, type Transport } from './transport.ts';

/** Which resource a call is about. */
export interface ResourceRef {
  /** `v1`, `apps/v1`, … */
  apiVersion: string;
  /** Plural resource name (`pods`). */
  resource: string;
  namespaced: boolean;
}

/** The resources podbay's own components use. */
export const resources = {
  pods: { apiVersion: 'v1', resource: 'pods', namespaced: true },
  events: { apiVersion: 'v1', resource: 'events', namespaced: true },
  configMaps: { apiVersion: 'v1', resource: 'configmaps', namespaced: true },
  secrets: { apiVersion: 'v1', resource: 'secrets', namespaced: true },
  services: { apiVersion: 'v1', resource: 'services', namespaced: true },
  serviceAccounts: { apiVersion: 'v1', resource: 'serviceaccounts', namespaced: true },
  endpoints: { apiVersion: 'v1', resource: 'endpoints', namespaced: true },
  namespaces: { apiVersion: 'v1', resource: 'namespaces', namespaced: false },
  nodes: { apiVersion: 'v1', resource: 'nodes', namespaced: false },
  deployments: { apiVersion: 'apps/v1', resource: 'deployments', namespaced: true },
  replicaSets: { apiVersion: 'apps/v1', resource: 'replicasets', namespaced: true },
  jobs: { apiVersion: 'batch/v1', resource: 'jobs', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Options for list and watch. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

/** Options for writes. */
export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  subresource?: string;
  force?: boolean;
  signal?: AbortSignal;
}

/** `DeleteOptions` (meta/v1). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

function path(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const prefix = ref.apiVersion.includes('/')
    ? `/apis/${ref.apiVersion}`
    : `/api/${ref.apiVersion}`;
  let p = prefix;
  if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${ref.resource}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A client bound to one transport. */
export class KubeClient {
  readonly #transport: Transport;
  readonly #userAgent: string;

  constructor(options: { transport: Transport; userAgent?: string }) {
    this.#transport = options.transport;
    this.#userAgent = options.userAgent ?? 'podbay';
  }

  async #call<T>(
    method: string,
    p: string,
    body?: unknown,
    contentType = 'application/json',
    signal?: AbortSignal,
  ): Promise<T> {
    const res = await this.#transport({
      method,
      path: p,
      headers: {
        accept: 'application/json',
        'user-agent': this.#userAgent,
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      },
      ...(body !== undefined
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
      ...(signal ? { signal } : {}),
    });
    const text = await readBody(res.body);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new InternalError(`${method} ${p}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    if (res.status >= 400) {
      if (isStatus(parsed)) throw errorFromStatus(parsed);
      throw new InternalError(`${method} ${p}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    return parsed as T;
  }

  get<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    subresource?: string,
  ): Promise<T> {
    return this.#call('GET', path(ref, namespace, name, subresource));
  }

  list<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace?: string,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.#call('GET', path(ref, namespace) + query({ ...options }));
  }

  create<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    const q = query({
      fieldManager: options.fieldManager,
      dryRun: options.dryRun ? 'All' : undefined,
    });
    return this.#call('POST', path(ref, namespace) + q, object, undefined, options.signal);
  }

  update<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    const q = query({
      fieldManager: options.fieldManager,
      dryRun: options.dryRun ? 'All' : undefined,
    });
    const name = object.metadata.name ?? '';
    return this.#call(
      'PUT',
      path(ref, namespace, name, options.subresource) + q,
      object,
      undefined,
      options.signal,
    );
  }

  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    patch: unknown,
    type: PatchType,
    options: WriteOptions = {},
  ): Promise<T> {
    const q = query({
      fieldManager: options.fieldManager ?? (type === 'apply' ? 'podbay' : undefined),
      dryRun: options.dryRun ? 'All' : undefined,
      force: options.force,
    });
    return this.#call(
      'PATCH',
      path(ref, namespace, name, options.subresource) + q,
      patch,
      patchContentType[type],
      options.signal,
    );
  }

  /** Deletes; resolves with the object (graceful) or the server's Success Status. */
  delete(
    ref: ResourceRef,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject | Status> {
    return this.#call('DELETE', path(ref, namespace, name), options);
  }

  /** Streams watch events until the server closes or `signal` aborts. */
  async *watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    options: ListOptions,
    signal?: AbortSignal,
  ): AsyncGenerator<WatchEvent<T>> {
    const res = await this.#transport({
      method: 'GET',
      path: path(ref, namespace) + query({ ...options, watch: true }),
      headers: { accept: 'application/json', 'user-agent': this.#userAgent },
      ...(signal ? { signal } : {}),
    });
    if (res.status >= 400) {
      const text = await readBody(res.body);
      const parsed: unknown = JSON.parse(text || '{}');
      if (isStatus(parsed)) throw errorFromStatus(parsed);
      throw new InternalError(`watch ${ref.resource}: HTTP ${res.status}`);
    }
    let buf = '';
    for await (const chunk of res.body) {
      buf += Buffer.from(chunk).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === 'ERROR' && isStatus(event.object)) throw errorFromStatus(event.object);
        yield event;
      }
    }
  }
}

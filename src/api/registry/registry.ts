/**
 * The generic registry for one resource, as kube-apiserver's generic store with a strategy:
 * create/update/delete/get/list over the Store, with server-filled metadata, the kind's
 * defaults and validation (from its ResourceDef), status-subresource rules, managed fields,
 * graceful deletion and finalizers.
 */
import {
  BadRequestError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  type GroupResource,
} from '../../k8s/errors.ts';
import { fieldError, type FieldError } from '../../k8s/field-errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { Clock } from '../../lib/clock.ts';
import type {
  Store,
  StoreEvent,
  StoreListOptions,
  StoreListResult,
  StoreWatcher,
  StoreWatchOptions,
} from '../../store/store.ts';
import {
  groupVersion,
  storageKey,
  type ResourceDef,
  type StrategyContext,
} from '../resource-def.ts';
import {
  deleteObject,
  finishDeletionIfDue,
  type DeleteOptions,
  type DeleteResult,
} from './deletion.ts';
import {
  clone,
  fillCreateMeta,
  generationTracked,
  jsonEqual,
  keepImmutableMeta,
} from './object-meta.ts';

/** Who is writing, and how (from the request). */
export interface WriteOptions {
  dryRun: boolean;
  /** `fieldManager` query parameter, or one derived from the user agent. */
  fieldManager: string;
  subresource?: string;
}

/** Computes `metadata.managedFields` for a non-apply write (wired to the SSA module). */
export type ManagedFieldsUpdater = (
  old: KubeObject | undefined,
  updated: KubeObject,
  options: { manager: string; apiVersion: string; now: number; subresource?: string },
) => KubeObject['metadata']['managedFields'];

/** What a registry needs from the server. */
export interface RegistryDeps {
  store: Store;
  clock: Clock;
  /** Looks up another resource's definition by storage key (`namespaces`, `pods`). */
  defFor(key: string): ResourceDef | undefined;
  managedFields?: ManagedFieldsUpdater;
}

/** One resource's registry. */
export class Registry {
  readonly key: string;
  readonly gr: GroupResource;

  constructor(
    readonly def: ResourceDef,
    private readonly deps: RegistryDeps,
  ) {
    this.key = storageKey(def);
    this.gr = { group: def.group, resource: def.resource };
  }

  /** The strategy context handed to the ResourceDef's hooks. */
  context(): StrategyContext {
    const store = this.deps.store;
    return {
      now: this.deps.clock.now(),
      get: (resource, namespace, name) => store.get(resource, namespace, name),
      list: (resource, namespace) =>
        store.list(resource, namespace === undefined ? {} : { namespace }).items,
    };
  }

  /** Field values a field selector can match. */
  fieldsOf = (obj: KubeObject): Record<string, string> => ({
    'metadata.name': obj.metadata.name ?? '',
    'metadata.namespace': obj.metadata.namespace ?? '',
    ...this.def.fields?.(obj),
  });

  get(namespace: string, name: string): KubeObject {
    const obj = this.deps.store.get(this.key, this.def.namespaced ? namespace : '', name);
    if (!obj) throw new NotFoundError(this.gr, name);
    return obj;
  }

  /** Watches this resource in the store (replay, then live changes). */
  watchStore(options: StoreWatchOptions, listener: (event: StoreEvent) => void): StoreWatcher {
    return this.deps.store.watch(this.key, { ...options, fieldsOf: this.fieldsOf }, listener);
  }

  /** The store's newest revision. */
  currentResourceVersion(): string {
    return this.deps.store.currentResourceVersion();
  }

  list(options: StoreListOptions): StoreListResult {
    return this.deps.store.list(this.key, { ...options, fieldsOf: this.fieldsOf });
  }

  #stamp(obj: KubeObject): KubeObject {
    obj.apiVersion = groupVersion(this.def);
    obj.kind = this.def.kind;
    return obj;
  }

  #checkNamespace(namespace: string, name: string): void {
    if (!this.def.namespaced) return;
    const ns = this.deps.store.get('namespaces', '', namespace);
    if (!ns) throw new NotFoundError({ group: '', resource: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ForbiddenError(
        `${this.def.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { name, kind: this.def.resource },
      );
    }
  }

  #invalid(name: string, errors: ReturnType<typeof fieldError.required>[]): never {
    throw new InvalidError(this.def.kind, this.def.group, name, errors);
  }

  create(
    namespace: string,
    input: KubeObject,
    options: WriteOptions,
    managedFieldsDone = false,
  ): KubeObject {
    const obj = this.#stamp(clone(input));
    obj.metadata ??= {};
    if (this.def.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw new BadRequestError(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = namespace;
    } else {
      delete obj.metadata.namespace;
    }
    const now = this.deps.clock.now();
    fillCreateMeta(obj, this.def.resource, now);
    const name = obj.metadata.name ?? '';
    if (!name)
      this.#invalid('', [fieldError.required('metadata.name', 'name or generateName is required')]);
    const ctx = this.context();
    this.def.prepareForCreate?.(obj, ctx);
    this.def.defaults?.(obj, ctx);
    const errors = this.def.validateCreate?.(obj, ctx) ?? [];
    if (errors.length) this.#invalid(name, errors);
    this.#checkNamespace(namespace, name);
    if (!managedFieldsDone) this.#setManagedFields(undefined, obj, options, now);
    if (options.dryRun) {
      if (this.deps.store.get(this.key, obj.metadata.namespace ?? '', name)) {
        // Let the store produce the AlreadyExists error a real create would.
        this.deps.store.create(this.key, obj);
      }
      return obj;
    }
    return this.deps.store.create(this.key, obj);
  }

  #setManagedFields(
    old: KubeObject | undefined,
    obj: KubeObject,
    options: WriteOptions,
    now: number,
  ): void {
    if (!this.deps.managedFields) return;
    const mf = this.deps.managedFields(old, obj, {
      manager: options.fieldManager,
      apiVersion: groupVersion(this.def),
      now,
      ...(options.subresource ? { subresource: options.subresource } : {}),
    });
    if (mf?.length) obj.metadata.managedFields = mf;
    else delete obj.metadata.managedFields;
  }

  /**
   * Replaces an object (PUT, and the last step of every PATCH). `subresource` `status` keeps
   * the spec; the main resource keeps the status (for kinds that have one).
   */
  update(
    namespace: string,
    name: string,
    input: KubeObject,
    options: WriteOptions,
    managedFieldsDone = false,
  ): KubeObject {
    const ns = this.def.namespaced ? namespace : '';
    if (input.metadata?.name && input.metadata.name !== name) {
      throw new BadRequestError(
        `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (
      this.def.namespaced &&
      input.metadata?.namespace &&
      input.metadata.namespace !== namespace
    ) {
      throw new BadRequestError(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const now = this.deps.clock.now();
    let result: KubeObject | undefined;
    const write = (current: KubeObject): KubeObject => {
      const expected = input.metadata?.resourceVersion;
      const obj = this.#prepareUpdate(current, input, name, options, now, managedFieldsDone);
      if (expected && expected !== current.metadata.resourceVersion) {
        // Let the store raise the Conflict with its standard message.
        this.deps.store.update(this.key, obj, { preconditions: { resourceVersion: expected } });
      }
      if (jsonEqual(withoutRv(obj), withoutRv(current))) return current;
      if (options.dryRun) {
        result = obj;
        return current;
      }
      return obj;
    };
    const stored = this.deps.store.guaranteedUpdate(this.key, ns, name, write);
    if (result) return result;
    const finished = options.dryRun
      ? undefined
      : finishDeletionIfDue(this.deps.store, this.key, stored);
    return finished ?? stored;
  }

  #prepareUpdate(
    current: KubeObject,
    input: KubeObject,
    name: string,
    options: WriteOptions,
    now: number,
    managedFieldsDone: boolean,
  ): KubeObject {
    const obj = this.#stamp(clone(input));
    obj.metadata ??= {};
    obj.metadata.name = name;
    if (this.def.namespaced) obj.metadata.namespace = current.metadata.namespace!;
    keepImmutableMeta(obj, current);
    const ctx = this.context();
    let errors: FieldError[];
    if (options.subresource === 'finalize' || options.subresource === 'binding') {
      // Both replace one field the handler already checked (spec.finalizers, spec.nodeName).
      obj['status'] = current['status'];
      errors = [];
    } else if (options.subresource === 'status') {
      this.def.prepareForStatusUpdate?.(obj, current, ctx);
      errors = this.def.validateStatusUpdate?.(obj, current, ctx) ?? [];
    } else {
      this.def.prepareForUpdate?.(obj, current, ctx);
      this.def.defaults?.(obj, ctx);
      errors = this.def.validateUpdate?.(obj, current, ctx) ?? [];
    }
    if (errors.length) this.#invalid(name, errors);
    if (generationTracked.has(this.def.resource) && !jsonEqual(obj['spec'], current['spec'])) {
      obj.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    obj.metadata.resourceVersion = current.metadata.resourceVersion!;
    if (!managedFieldsDone) this.#setManagedFields(current, obj, options, now);
    return obj;
  }

  delete(namespace: string, name: string, options: DeleteOptions): DeleteResult {
    return deleteObject(
      this.deps.store,
      this,
      this.def.namespaced ? namespace : '',
      name,
      options,
      this.deps.clock.now(),
    );
  }
}

function withoutRv(obj: KubeObject): KubeObject {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

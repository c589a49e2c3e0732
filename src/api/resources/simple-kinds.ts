/** core/v1 kinds with little behaviour: Namespaces, ConfigMaps, Secrets, ServiceAccounts, Events, Nodes, Endpoints. */
import { fieldError, type FieldError } from '../../k8s/field-errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import {
  configMapKeyErrors,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
} from '../../k8s/validation/names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../k8s/validation/object-meta.ts';
import { allVerbs, type ResourceDef } from '../resource-def.ts';

const statusVerbs = { name: 'status', verbs: ['get', 'patch', 'update'] };
const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

function meta(
  namespaced: boolean,
  names: (n: string) => string[],
): Pick<ResourceDef, 'validateCreate' | 'validateUpdate'> {
  return {
    validateCreate: (o) => validateObjectMeta(o.metadata, namespaced, names),
    validateUpdate: (o, old) => [
      ...validateObjectMetaUpdate(o.metadata, old.metadata),
      ...validateObjectMeta(o.metadata, namespaced, () => []),
    ],
  };
}

function validateKeys(obj: KubeObject, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    for (const k of Object.keys((obj[f] as Record<string, unknown> | undefined) ?? {})) {
      for (const m of configMapKeyErrors(k)) errs.push(fieldError.invalid(`${f}[${k}]`, k, m));
      if (seen.has(k))
        errs.push(fieldError.invalid(`${f}[${k}]`, k, 'duplicate of key present in binaryData'));
      seen.add(k);
    }
  }
  return errs;
}

/** Namespaces. */
export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  hasStatus: true,
  subresources: [{ name: 'finalize', verbs: ['update'] }, statusVerbs],
  prepareForCreate(o) {
    o['spec'] = { finalizers: ['kubernetes'] };
    o['status'] = { phase: 'Active' };
  },
  defaults(o) {
    o.metadata.labels = {
      ...o.metadata.labels,
      'kubernetes.io/metadata.name': o.metadata.name ?? '',
    };
  },
  prepareForUpdate(o, old) {
    o['spec'] = old['spec'];
    o['status'] = old['status'];
  },
  prepareForStatusUpdate(o, old) {
    o['spec'] = old['spec'];
  },
  ...meta(false, dns1123LabelErrors),
  fields: (o) => ({ 'status.phase': str((o['status'] as { phase?: string } | undefined)?.phase) }),
};

/** ConfigMaps. */
export const configMaps: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  verbs: allVerbs,
  validateCreate: (o) => [
    ...validateObjectMeta(o.metadata, true, dns1123SubdomainErrors),
    ...validateKeys(o, ['data', 'binaryData']),
  ],
  validateUpdate: (o, old) => {
    const errs = [
      ...validateObjectMetaUpdate(o.metadata, old.metadata),
      ...validateKeys(o, ['data', 'binaryData']),
    ];
    if (
      old['immutable'] === true &&
      (JSON.stringify(o['data']) !== JSON.stringify(old['data']) ||
        JSON.stringify(o['binaryData']) !== JSON.stringify(old['binaryData']))
    ) {
      errs.push(fieldError.forbidden('data', 'field is immutable when `immutable` is set'));
    }
    return errs;
  },
};

/** Secrets: `stringData` is merged into base64 `data`. */
export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'secrets',
  kind: 'Secret',
  listKind: 'SecretList',
  singular: 'secret',
  namespaced: true,
  verbs: allVerbs,
  defaults(o) {
    o['type'] ??= 'Opaque';
    const sd = o['stringData'] as Record<string, unknown> | undefined;
    if (sd) {
      const data = { ...(o['data'] as Record<string, string> | undefined) };
      for (const [k, v] of Object.entries(sd))
        data[k] = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
      o['data'] = data;
      delete o['stringData'];
    }
  },
  validateCreate: (o) => {
    const errs = [
      ...validateObjectMeta(o.metadata, true, dns1123SubdomainErrors),
      ...validateKeys(o, ['data']),
    ];
    for (const [k, v] of Object.entries((o['data'] as Record<string, unknown> | undefined) ?? {})) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
        errs.push(
          fieldError.invalid(`data[${k}]`, '<secret contents redacted>', 'must be base64-encoded'),
        );
    }
    if (
      o['type'] === 'kubernetes.io/dockerconfigjson' &&
      !(o['data'] as Record<string, string> | undefined)?.['.dockerconfigjson']
    ) {
      errs.push(fieldError.required('data[.dockerconfigjson]'));
    }
    return errs;
  },
  validateUpdate: (o, old) => {
    const errs = [
      ...validateObjectMetaUpdate(o.metadata, old.metadata),
      ...validateKeys(o, ['data']),
    ];
    if (o['type'] !== old['type'])
      errs.push(fieldError.invalid('type', o['type'], 'field is immutable'));
    return errs;
  },
  fields: (o) => ({ type: str(o['type']) }),
};

/** ServiceAccounts. */
export const serviceAccounts: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  kind: 'ServiceAccount',
  listKind: 'ServiceAccountList',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  verbs: allVerbs,
  subresources: [
    {
      name: 'token',
      kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      verbs: ['create'],
    },
  ],
  ...meta(true, dns1123SubdomainErrors),
};

/** Events (core/v1). */
export const events: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  listKind: 'EventList',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  verbs: allVerbs,
  ...meta(true, dns1123SubdomainErrors),
  fields: (o) => {
    const io = (o['involvedObject'] as Record<string, unknown> | undefined) ?? {};
    const source = (o['source'] as { component?: string } | undefined)?.component;
    return {
      'involvedObject.kind': str(io['kind']),
      'involvedObject.namespace': str(io['namespace']),
      'involvedObject.name': str(io['name']),
      'involvedObject.uid': str(io['uid']),
      'involvedObject.apiVersion': str(io['apiVersion']),
      'involvedObject.resourceVersion': str(io['resourceVersion']),
      'involvedObject.fieldPath': str(io['fieldPath']),
      reason: str(o['reason']),
      reportingComponent: str(o['reportingComponent']),
      source: str(source),
      type: str(o['type']),
    };
  },
};

/** Nodes. */
export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'nodes',
  kind: 'Node',
  listKind: 'NodeList',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  verbs: allVerbs,
  hasStatus: true,
  subresources: [
    {
      name: 'proxy',
      kind: { group: '', version: 'v1', kind: 'NodeProxyOptions' },
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    },
    statusVerbs,
  ],
  prepareForUpdate(o, old) {
    o['status'] = old['status'];
  },
  prepareForStatusUpdate(o, old) {
    o['spec'] = old['spec'];
  },
  ...meta(false, dns1123SubdomainErrors),
  fields: (o) => ({
    'spec.unschedulable': (o['spec'] as { unschedulable?: boolean } | undefined)?.unschedulable
      ? 'true'
      : 'false',
  }),
};

/** Endpoints. */
export const endpoints: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'endpoints',
  kind: 'Endpoints',
  listKind: 'EndpointsList',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  verbs: allVerbs,
  ...meta(true, dns1123SubdomainErrors),
};

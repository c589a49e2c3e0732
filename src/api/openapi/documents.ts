/**
 * OpenAPI v3 documents generated from podbay's schema data: the `/openapi/v3` root and one
 * document per served group-version, with the two things kubectl looks for — PATCH operations
 * carrying `x-kubernetes-group-version-kind` and a `fieldValidation` parameter (so `apply` and
 * `create -f` validate on the server), and kind schemas with descriptions (for `explain`).
 */
import { createHash } from 'node:crypto';
import { groupVersion, type ResourceDef } from '../resource-def.ts';
import {
  className,
  primitives,
  schemaData,
  type PropSchema,
  type SchemaData,
} from './schema-data.ts';

const metaTypes = new Set([
  'ObjectMeta',
  'ListMeta',
  'LabelSelector',
  'LabelSelectorRequirement',
  'OwnerReference',
  'ManagedFieldsEntry',
  'Status',
  'StatusDetails',
  'StatusCause',
  'Condition',
  'DeleteOptions',
  'Preconditions',
  'APIResource',
]);
const appsPrefixes = [
  'Deployment',
  'ReplicaSet',
  'RollingUpdateDeployment',
  'StatefulSet',
  'DaemonSet',
  'ControllerRevision',
  'RollingUpdateStatefulSet',
  'RollingUpdateDaemonSet',
];
const batchPrefixes = [
  'Job',
  'CronJob',
  'PodFailurePolicy',
  'SuccessPolicy',
  'UncountedTerminatedPods',
];

/** The upstream-style component key of a model class (`V1Pod` → `io.k8s.api.core.v1.Pod`). */
export function componentKey(cls: string): string {
  const name = cls.replace(/^(CoreV1|V1)/, '');
  if (metaTypes.has(name)) return `io.k8s.apimachinery.pkg.apis.meta.v1.${name}`;
  if (appsPrefixes.some((p) => name.startsWith(p))) return `io.k8s.api.apps.v1.${name}`;
  if (batchPrefixes.some((p) => name.startsWith(p))) return `io.k8s.api.batch.v1.${name}`;
  if (name.startsWith('Scale')) return `io.k8s.api.autoscaling.v1.${name}`;
  return `io.k8s.api.core.v1.${name}`;
}

const ref = (key: string): string => `#/components/schemas/${key}`;

function leaf(t: string): Record<string, unknown> {
  switch (t) {
    case 'string':
      return { type: 'string' };
    case 'integer':
      return { type: 'integer', format: 'int32' };
    case 'number':
      return { type: 'number', format: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return { allOf: [{ $ref: ref('io.k8s.apimachinery.pkg.apis.meta.v1.Time') }] };
    case 'intorstring':
      return { allOf: [{ $ref: ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString') }] };
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default:
      return { allOf: [{ $ref: ref(componentKey(t)) }], default: {} };
  }
}

function propSchema(p: PropSchema): Record<string, unknown> {
  let s = leaf(p.t);
  if (p.array) s = { type: 'array', items: s['allOf'] ? { allOf: s['allOf'], default: {} } : s };
  if (p.map)
    s = {
      type: 'object',
      additionalProperties: s['allOf'] ? { allOf: s['allOf'], default: {} } : s,
    };
  return { ...(p.d ? { description: p.d } : {}), ...s };
}

function closure(data: SchemaData, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (cls: string): void => {
    if (seen.has(cls) || !data[cls]) return;
    seen.add(cls);
    for (const p of Object.values(data[cls].props)) if (!primitives.has(p.t)) visit(p.t);
  };
  roots.forEach(visit);
  return seen;
}

function pathsFor(def: ResourceDef): Record<string, unknown> {
  const gv = groupVersion(def);
  const base = def.group ? `/apis/${gv}` : `/api/${gv}`;
  const collection = def.namespaced
    ? `${base}/namespaces/{namespace}/${def.resource}`
    : `${base}/${def.resource}`;
  const item = `${collection}/{name}`;
  const gvk = { group: def.group, version: def.version, kind: def.kind };
  const schemaRef = { $ref: ref(componentKey(className(def.group, def.kind))) };
  const body = { content: { 'application/json': { schema: schemaRef } } };
  const ok = {
    '200': { description: 'OK', content: { 'application/json': { schema: schemaRef } } },
  };
  const param = (name: string): object => ({
    name,
    in: 'query',
    description: `${name} of the request`,
    schema: { type: 'string', uniqueItems: true },
  });
  const writeParams = [param('dryRun'), param('fieldManager'), param('fieldValidation')];
  const op = (action: string, extra: object): object => ({
    description: `${action} the specified ${def.kind}`,
    operationId: `${action}${def.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    responses: ok,
    ...extra,
  });
  return {
    [collection]: {
      get: op('list', {}),
      post: op('post', { parameters: writeParams, requestBody: body }),
    },
    [item]: {
      get: op('get', {}),
      put: op('put', { parameters: writeParams, requestBody: body }),
      patch: op('patch', {
        parameters: [...writeParams, param('force')],
        requestBody: {
          content: { 'application/merge-patch+json': { schema: { type: 'object' } } },
        },
      }),
      delete: op('delete', {}),
    },
  };
}

/** Builds the document of one group-version (`api/v1`, `apis/apps/v1`). */
export function buildDocument(
  defs: ResourceDef[],
  data: SchemaData = schemaData(),
): Record<string, unknown> {
  const kinds = defs.map((d) => ({
    def: d,
    cls: className(d.group, d.kind),
    listCls: className(d.group, d.listKind),
  }));
  const classes = closure(data, [
    ...kinds.flatMap((k) => [k.cls, k.listCls]),
    'V1Status',
    'V1DeleteOptions',
  ]);
  const schemas: Record<string, unknown> = {
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
      type: 'string',
      format: 'int-or-string',
      description: 'A value that is either an integer or a string.',
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.Time': {
      type: 'string',
      format: 'date-time',
      description: 'A timestamp in RFC 3339 form.',
    },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': {
      type: 'string',
      description: 'A fixed-point number, such as 100m or 1Gi.',
    },
  };
  for (const cls of classes) {
    const t = data[cls]!;
    const s: Record<string, unknown> = {
      type: 'object',
      ...(t.d ? { description: t.d } : {}),
      properties: Object.fromEntries(Object.entries(t.props).map(([k, p]) => [k, propSchema(p)])),
      ...(t.required?.length ? { required: t.required } : {}),
    };
    const kind = kinds.find((k) => k.cls === cls || k.listCls === cls);
    if (kind) {
      s['x-kubernetes-group-version-kind'] = [
        {
          group: kind.def.group,
          kind: kind.cls === cls ? kind.def.kind : kind.def.listKind,
          version: kind.def.version,
        },
      ];
    }
    schemas[componentKey(cls)] = s;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.33.0' },
    paths: Object.assign({}, ...defs.map(pathsFor)) as Record<string, unknown>,
    components: { schemas },
  };
}

/** Serialised documents and the root, computed once. */
export class OpenApiDocuments {
  readonly #byPath = new Map<string, { body: string; hash: string }>();
  readonly #groups: Map<string, ResourceDef[]>;

  constructor(defs: ResourceDef[]) {
    this.#groups = new Map();
    for (const d of defs) {
      const key = d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`;
      this.#groups.set(key, [...(this.#groups.get(key) ?? []), d]);
    }
  }

  #doc(path: string): { body: string; hash: string } | undefined {
    let d = this.#byPath.get(path);
    if (d) return d;
    const defs = this.#groups.get(path);
    if (!defs) return undefined;
    const body = JSON.stringify(buildDocument(defs));
    d = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 128) };
    this.#byPath.set(path, d);
    return d;
  }

  /** `/openapi/v3`. */
  root(): string {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const key of this.#groups.keys())
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${this.#doc(key)!.hash}` };
    return JSON.stringify({ paths });
  }

  /** `/openapi/v3/<path>`. */
  document(path: string): string | undefined {
    return this.#doc(path)?.body;
  }
}

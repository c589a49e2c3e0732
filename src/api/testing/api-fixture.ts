/**
 * An API server over real in-memory SQLite for the fast tier, with a small set of generic
 * ResourceDefs (no kind-specific defaults or validation), so the server's own machinery can be
 * tested on its own.
 */
import { SqliteStore } from '../../store/sqlite-store.ts';
import { FakeClock } from '../../lib/clock.ts';
import { nullLogger } from '../../lib/log.ts';
import { createApiServer, type ApiServer } from '../api-server.ts';
import type { ApiRequest, ApiResponse } from '../http-types.ts';
import { allVerbs, type ResourceDef } from '../resource-def.ts';
import { managedFieldsUpdater, patchOps } from '../patch/patch-ops.ts';
import type { TableRenderer } from '../handlers/negotiation.ts';
import type { StreamingHandler } from '../handlers/resource-handler.ts';

/** Namespaces, ConfigMaps, Pods (graceful), Deployments and ReplicaSets (scale), with no kind logic. */
export const minimalDefs: ResourceDef[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: allVerbs.filter((v) => v !== 'deletecollection'),
    subresources: [
      { name: 'status', verbs: ['get', 'patch', 'update'] },
      { name: 'finalize', verbs: ['update'] },
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    listKind: 'ConfigMapList',
    singular: 'configmap',
    namespaced: true,
    shortNames: ['cm'],
    verbs: allVerbs,
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    listKind: 'PodList',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    verbs: allVerbs,
    subresources: [
      { name: 'status', verbs: ['get', 'patch', 'update'] },
      { name: 'binding', verbs: ['create'] },
      { name: 'log', verbs: ['get'] },
    ],
    hasStatus: true,
    prepareForUpdate: (o, old) => void (o['status'] = old['status']),
    prepareForStatusUpdate: (o, old) => void (o['spec'] = old['spec']),
    fields: (o) => ({
      'spec.nodeName': (o['spec'] as { nodeName?: string } | undefined)?.nodeName ?? '',
      'status.phase': (o['status'] as { phase?: string } | undefined)?.phase ?? '',
    }),
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    verbs: allVerbs,
    subresources: [
      {
        name: 'scale',
        kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'],
      },
      { name: 'status', verbs: ['get', 'patch', 'update'] },
    ],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    listKind: 'ReplicaSetList',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    verbs: allVerbs,
    hasStatus: true,
    prepareForUpdate: (o, old) => void (o['status'] = old['status']),
    prepareForStatusUpdate: (o, old) => void (o['spec'] = old['spec']),
    subresources: [
      {
        name: 'scale',
        kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'],
      },
      { name: 'status', verbs: ['get', 'patch', 'update'] },
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    listKind: 'ServiceList',
    singular: 'service',
    namespaced: true,
    shortNames: ['svc'],
    verbs: allVerbs,
  },
  {
    group: '',
    version: 'v1',
    resource: 'endpoints',
    kind: 'Endpoints',
    listKind: 'EndpointsList',
    singular: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    verbs: allVerbs,
  },
  {
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
    subresources: [{ name: 'status', verbs: ['get', 'patch', 'update'] }],
  },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    listKind: 'ServiceAccountList',
    singular: 'serviceaccount',
    namespaced: true,
    shortNames: ['sa'],
    verbs: allVerbs,
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    listKind: 'EventList',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
    verbs: allVerbs,
  },
  {
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    kind: 'Job',
    listKind: 'JobList',
    singular: 'job',
    namespaced: true,
    categories: ['all'],
    verbs: allVerbs,
    hasStatus: true,
    prepareForUpdate: (o, old) => void (o['status'] = old['status']),
    prepareForStatusUpdate: (o, old) => void (o['spec'] = old['spec']),
    subresources: [{ name: 'status', verbs: ['get', 'patch', 'update'] }],
  },
];

/** Name + Age tables (enough to test negotiation). */
export const nameAgeTables: TableRenderer = (def, objects, opts) => ({
  kind: 'Table',
  apiVersion: 'meta.k8s.io/v1',
  metadata: { resourceVersion: opts.resourceVersion ?? '' },
  ...(opts.noHeaders
    ? {}
    : {
        columnDefinitions: [
          { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
        ],
      }),
  rows: objects.map((o) => ({
    cells: [o.metadata.name],
    object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
  })),
  ...(def ? {} : {}),
});

/** A fixture: server, clock and a request helper. */
export interface ApiFixture {
  api: ApiServer;
  store: SqliteStore;
  clock: FakeClock;
  /** Calls the handler; JSON bodies are encoded, responses decoded when JSON. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    headers: Record<string, string>;
    json: any;
    text: string;
    res: ApiResponse;
  }>;
  close(): void;
}

/** Builds a fixture with the `default` namespace present. */
export async function apiFixture(
  defs: ResourceDef[] = minimalDefs,
  renderTable: TableRenderer = nameAgeTables,
  streaming: Record<string, StreamingHandler> = {},
): Promise<ApiFixture> {
  const store = new SqliteStore(':memory:');
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const api = createApiServer({
    store,
    defs,
    clock,
    log: nullLogger,
    renderTable,
    patch: patchOps,
    managedFields: managedFieldsUpdater,
    streaming,
  });
  const call: ApiFixture['call'] = async (method, path, body, headers = {}) => {
    const q = path.indexOf('?');
    const req: ApiRequest = {
      method,
      path: q < 0 ? path : path.slice(0, q),
      query: new URLSearchParams(q < 0 ? '' : path.slice(q + 1)),
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined
        ? { body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) }
        : {}),
      signal: new AbortController().signal,
    };
    const res = await api.handle(req);
    let text = '';
    if (typeof res.body === 'string' || Buffer.isBuffer(res.body)) text = res.body.toString();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text, res };
  };
  await call('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default' },
  });
  return { api, store, clock, call, close: () => store.close() };
}

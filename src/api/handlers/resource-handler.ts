/**
 * Serves requests on resources: the verbs (get, list, watch, create, update, patch, delete,
 * deletecollection) on the main resource and the generic subresources (status, scale, binding,
 * finalize). Streaming subresources (log, exec, attach, portforward) go to `streaming`.
 */
import { BadRequestError, MethodNotAllowedError, NotFoundError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { Clock } from '../../lib/clock.ts';
import type { ApiRequest, ApiResponse } from '../http-types.ts';
import type { Registry, WriteOptions } from '../registry/registry.ts';
import { successStatus } from '../status.ts';
import { groupVersion, type GroupVersionKind } from '../resource-def.ts';
import { decodeObject, parseBody, type BodyDecoding } from '../request-body.ts';
import type { ResourceRequestInfo } from '../request-info.ts';
import {
  includeObjectOf,
  rawJson,
  wantsTable,
  warningHeaders,
  type TableRenderer,
} from './negotiation.ts';
import { applyPatchRequest, type PatchOps } from './patch.ts';
import { bindPod, finalizeNamespace, toScale, updateScale } from './subresources.ts';
import { serveWatch } from './watch.ts';
import type { DeleteOptions } from '../registry/deletion.ts';

/** Handles a streaming subresource (log, exec, attach, portforward) of one object. */
export type StreamingHandler = (
  req: ApiRequest,
  info: ResourceRequestInfo,
  object: KubeObject,
) => Promise<ApiResponse>;

/** What resource handling needs from the server. */
export interface ResourceHandlerDeps {
  clock: Clock;
  renderTable: TableRenderer;
  patch: PatchOps;
  decoding: BodyDecoding;
  streaming: Record<string, StreamingHandler>;
}

function writeOptions(req: ApiRequest, subresource?: string): WriteOptions {
  const dryRun = req.query.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All'))
    throw new BadRequestError(`Invalid dry run value: ${dryRun.join(', ')}`);
  const ua = req.headers['user-agent'] ?? '';
  return {
    dryRun: dryRun.length > 0,
    fieldManager: req.query.get('fieldManager') ?? (ua.split('/')[0] || 'unknown'),
    ...(subresource ? { subresource } : {}),
  };
}

function gvkOf(registry: Registry): GroupVersionKind {
  return { group: registry.def.group, version: registry.def.version, kind: registry.def.kind };
}

function isWatch(req: ApiRequest, info: ResourceRequestInfo): boolean {
  const w = req.query.get('watch');
  return info.legacyWatch || w === 'true' || w === '1';
}

function readDeleteOptions(req: ApiRequest): DeleteOptions {
  let body: Record<string, unknown> = {};
  if (req.body?.length) {
    const parsed = parseBody(
      req,
      { group: 'meta.k8s.io', version: 'v1', kind: 'DeleteOptions' },
      {},
    );
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  }
  const q = req.query;
  const grace =
    body['gracePeriodSeconds'] ??
    (q.get('gracePeriodSeconds') !== null ? Number(q.get('gracePeriodSeconds')) : undefined);
  const dryRun = (body['dryRun'] as string[] | undefined) ?? q.getAll('dryRun');
  return {
    ...(typeof grace === 'number' && !Number.isNaN(grace) ? { gracePeriodSeconds: grace } : {}),
    ...(typeof body['propagationPolicy'] === 'string'
      ? { propagationPolicy: body['propagationPolicy'] }
      : {}),
    ...(q.get('propagationPolicy') ? { propagationPolicy: q.get('propagationPolicy')! } : {}),
    ...(body['preconditions'] ? { preconditions: body['preconditions'] } : {}),
    dryRun: dryRun.length > 0,
  };
}

/** Serves one resource request. */
export async function handleResource(
  req: ApiRequest,
  info: ResourceRequestInfo,
  registry: Registry,
  deps: ResourceHandlerDeps,
): Promise<ApiResponse> {
  const def = registry.def;
  const ns = def.namespaced ? info.namespace : '';
  const { name, subresource } = info;
  const method = req.method;
  const now = deps.clock.now();
  const one = (status: number, obj: KubeObject, warnings: string[] = []): ApiResponse => {
    if (wantsTable(req)) {
      const t = deps.renderTable(def, [obj], {
        now,
        includeObject: includeObjectOf(req),
        resourceVersion: obj.metadata.resourceVersion ?? '',
      });
      return rawJson(status, JSON.stringify(t), warningHeaders(warnings));
    }
    return rawJson(status, JSON.stringify(obj), warningHeaders(warnings));
  };

  if (subresource) {
    const sub = def.subresources?.find((s) => s.name === subresource);
    if (!sub) throw new NotFoundError(registry.gr, name);
    const stream = deps.streaming[subresource];
    if (stream) return stream(req, info, registry.get(ns, name));
    return handleSubresource(req, info, registry, deps, now, one);
  }

  if (!name) {
    if (method === 'GET') {
      if (isWatch(req, info)) return serveWatch(req, registry, ns, deps);
      const q = req.query;
      const limit = Number(q.get('limit') ?? 0);
      const result = registry.list({
        ...(ns ? { namespace: ns } : {}),
        ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}),
        ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
        ...(limit > 0 && !wantsTableObjects(req) ? { limit } : {}),
        ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
        ...(q.get('resourceVersion') !== null
          ? { resourceVersion: q.get('resourceVersion')! }
          : {}),
        ...(q.get('resourceVersionMatch')
          ? { resourceVersionMatch: q.get('resourceVersionMatch') as 'Exact' }
          : {}),
      });
      if (wantsTable(req)) {
        const t = deps.renderTable(def, result.items, {
          now,
          includeObject: includeObjectOf(req),
          resourceVersion: result.resourceVersion,
        });
        if (result.continue)
          (t['metadata'] as Record<string, unknown>)['continue'] = result.continue;
        return rawJson(200, JSON.stringify(t));
      }
      const list = {
        kind: def.listKind,
        apiVersion: groupVersion(def),
        metadata: {
          resourceVersion: result.resourceVersion,
          ...(result.continue ? { continue: result.continue } : {}),
          ...(result.remainingItemCount !== undefined
            ? { remainingItemCount: result.remainingItemCount }
            : {}),
        },
        items: result.items,
      };
      return rawJson(200, JSON.stringify(list));
    }
    if (method === 'POST') {
      const decoded = decodeObject(req, gvkOf(registry), deps.decoding);
      const created = registry.create(info.namespace, decoded.object, writeOptions(req));
      return one(201, created, decoded.warnings);
    }
    if (method === 'DELETE') {
      const opts = readDeleteOptions(req);
      const q = req.query;
      const items = registry.list({
        ...(ns ? { namespace: ns } : {}),
        ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}),
        ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
      }).items;
      const out = items.map(
        (o) => registry.delete(o.metadata.namespace ?? '', o.metadata.name ?? '', opts).object,
      );
      return rawJson(
        200,
        JSON.stringify({
          kind: def.listKind,
          apiVersion: groupVersion(def),
          metadata: { resourceVersion: registry.currentResourceVersion() },
          items: out,
        }),
      );
    }
    throw new MethodNotAllowedError(
      `the server does not allow this method on the requested resource`,
    );
  }

  switch (method) {
    case 'GET':
      if (isWatch(req, info)) return serveWatch(withNameSelector(req, name), registry, ns, deps);
      return one(200, registry.get(ns, name));
    case 'PUT': {
      const decoded = decodeObject(req, gvkOf(registry), deps.decoding);
      return one(
        200,
        registry.update(info.namespace, name, decoded.object, writeOptions(req)),
        decoded.warnings,
      );
    }
    case 'PATCH': {
      const r = applyPatchRequest(
        req,
        registry,
        info.namespace,
        name,
        writeOptions(req),
        deps.patch,
        deps.decoding,
        now,
        gvkOf(registry),
      );
      return one(r.created ? 201 : 200, r.object, r.warnings);
    }
    case 'DELETE': {
      const result = registry.delete(info.namespace, name, readDeleteOptions(req));
      const o = result.object;
      if (!result.deleted || def.resource === 'pods') return rawJson(200, JSON.stringify(o));
      return rawJson(
        200,
        JSON.stringify(
          successStatus({ name, group: def.group, kind: def.resource, uid: o.metadata.uid ?? '' }),
        ),
      );
    }
    default:
      throw new MethodNotAllowedError(
        `the server does not allow this method on the requested resource`,
      );
  }
}

function wantsTableObjects(req: ApiRequest): boolean {
  return wantsTable(req) && req.query.get('includeObject') === 'Object';
}

function withNameSelector(req: ApiRequest, name: string): ApiRequest {
  const query = new URLSearchParams(req.query);
  const fs = query.get('fieldSelector');
  query.set('fieldSelector', fs ? `${fs},metadata.name=${name}` : `metadata.name=${name}`);
  return { ...req, query };
}

function handleSubresource(
  req: ApiRequest,
  info: ResourceRequestInfo,
  registry: Registry,
  deps: ResourceHandlerDeps,
  now: number,
  one: (status: number, obj: KubeObject, warnings?: string[]) => ApiResponse,
): ApiResponse {
  const { name, subresource, namespace } = info;
  const ns = registry.def.namespaced ? namespace : '';
  const method = req.method;
  if (subresource === 'scale') {
    const scaleGvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    if (method === 'GET') return rawJson(200, JSON.stringify(toScale(registry.get(ns, name))));
    let input: KubeObject;
    if (method === 'PUT') input = decodeObject(req, scaleGvk, deps.decoding).object;
    else if (method === 'PATCH') {
      const current = toScale(registry.get(ns, name));
      const patch: unknown = JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8'));
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      input = (
        type === 'application/json-patch+json'
          ? deps.patch.json(current, patch)
          : deps.patch.merge(current, patch)
      ) as KubeObject;
    } else
      throw new MethodNotAllowedError(
        'the server does not allow this method on the requested resource',
      );
    const updated = updateScale(registry, ns, name, input, writeOptions(req, 'scale'));
    return rawJson(200, JSON.stringify(toScale(updated)));
  }
  if (subresource === 'binding' && method === 'POST') {
    const binding = decodeObject(req, { group: '', version: 'v1', kind: 'Binding' }, {}).object;
    bindPod(registry, ns, name, binding, now);
    return rawJson(
      201,
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        code: 201,
      }),
    );
  }
  if (subresource === 'finalize' && method === 'PUT') {
    const input = decodeObject(
      req,
      { group: '', version: 'v1', kind: 'Namespace' },
      deps.decoding,
    ).object;
    return one(200, finalizeNamespace(registry, name, input, writeOptions(req, 'finalize')));
  }
  if (subresource === 'status') {
    if (method === 'GET') return one(200, registry.get(ns, name));
    const write = writeOptions(req, 'status');
    if (method === 'PUT') {
      const decoded = decodeObject(
        req,
        { group: registry.def.group, version: registry.def.version, kind: registry.def.kind },
        deps.decoding,
      );
      return one(200, registry.update(namespace, name, decoded.object, write), decoded.warnings);
    }
    if (method === 'PATCH') {
      const r = applyPatchRequest(
        req,
        registry,
        namespace,
        name,
        write,
        deps.patch,
        deps.decoding,
        now,
        {
          group: registry.def.group,
          version: registry.def.version,
          kind: registry.def.kind,
        },
      );
      return one(200, r.object, r.warnings);
    }
  }
  throw new MethodNotAllowedError(
    'the server does not allow this method on the requested resource',
  );
}

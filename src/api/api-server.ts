/**
 * The API server as one function: routes a request to version/health, discovery, OpenAPI or a
 * resource, and turns every error into a Kubernetes Status. Production and tests run exactly
 * this; `node-http.ts` puts it behind a socket.
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import { Discovery, discoveryFormat } from './discovery.ts';
import { handleResource, type StreamingHandler } from './handlers/resource-handler.ts';
import { rawJson, type TableRenderer } from './handlers/negotiation.ts';
import type { PatchOps } from './handlers/patch.ts';
import { jsonResponse, type ApiHandler, type ApiRequest, type ApiResponse } from './http-types.ts';
import { Registry, type ManagedFieldsUpdater } from './registry/registry.ts';
import type { BodyDecoding } from './request-body.ts';
import { parseRequestPath } from './request-info.ts';
import { storageKey, type ResourceDef } from './resource-def.ts';
import { errorResponse } from './status.ts';
import { kubernetesVersion } from './version-info.ts';

/** OpenAPI documents (wired to api/openapi). */
export interface OpenApiProvider {
  /** `/openapi/v3` root document. */
  root(): string;
  /** `/openapi/v3/<path>` document, or undefined. */
  document(path: string): string | undefined;
}

/** Everything the API server is built from. */
export interface ApiServerOptions {
  store: Store;
  defs: ResourceDef[];
  clock: Clock;
  log: Logger;
  renderTable: TableRenderer;
  patch: PatchOps;
  managedFields?: ManagedFieldsUpdater;
  decoding?: BodyDecoding;
  openapi?: OpenApiProvider;
  streaming?: Record<string, StreamingHandler>;
  /** `host:port` advertised in legacy discovery. */
  serverAddress?: string;
  /** Readiness (for /readyz); defaults to always ready. */
  isReady?: () => boolean;
}

/** The built server: the handler plus access to registries for in-process components. */
export interface ApiServer {
  handle: ApiHandler;
  registry(key: string): Registry | undefined;
}

/** Builds the API server. */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const { store, defs, clock, log } = options;
  const byKey = new Map<string, ResourceDef>(defs.map((d) => [storageKey(d), d]));
  const registries = new Map<string, Registry>();
  const deps = {
    store,
    clock,
    defFor: (key: string) => byKey.get(key),
    ...(options.managedFields ? { managedFields: options.managedFields } : {}),
  };
  for (const def of defs)
    registries.set(`${def.group}/${def.version}/${def.resource}`, new Registry(def, deps));
  const registryFor = (group: string, version: string, resource: string): Registry | undefined =>
    registries.get(`${group}/${version}/${resource}`);
  const isNamespaced = (group: string, resource: string): boolean =>
    defs.some((d) => d.group === group && d.resource === resource && d.namespaced);
  const discovery = new Discovery(defs);
  const resourceDeps = {
    clock,
    renderTable: options.renderTable,
    patch: options.patch,
    decoding: options.decoding ?? {},
    streaming: options.streaming ?? {},
  };

  const route = async (req: ApiRequest): Promise<ApiResponse> => {
    const target = parseRequestPath(req.path, isNamespaced);
    switch (target.type) {
      case 'resource': {
        const { info } = target;
        const registry = registryFor(info.group, info.version, info.resource);
        if (!registry) return notFoundPage();
        return handleResource(req, info, registry, resourceDeps);
      }
      case 'apiRoot':
      case 'apisRoot': {
        const [type, body] = discovery.root(
          target.type === 'apiRoot' ? 'api' : 'apis',
          discoveryFormat(req.headers['accept']),
          options.serverAddress ?? '127.0.0.1:6443',
        );
        return { status: 200, headers: { 'content-type': type }, body };
      }
      case 'group': {
        const body = discovery.group(target.group);
        return body ? rawJson(200, body) : notFoundPage();
      }
      case 'groupVersion': {
        const body = discovery.groupVersion(target.group, target.version);
        return body ? rawJson(200, body) : notFoundPage();
      }
      case 'other':
        return other(target.path, req);
    }
  };

  const other = (path: string, req: ApiRequest): ApiResponse => {
    if (path === '/version' || path === '/version/') return jsonResponse(200, kubernetesVersion);
    if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(path)) {
      const ready = path.startsWith('/readyz') ? (options.isReady?.() ?? true) : true;
      return {
        status: ready ? 200 : 500,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: ready ? 'ok' : 'not ready',
      };
    }
    if (path === '/openapi/v3' && options.openapi) return rawJson(200, options.openapi.root());
    if (path.startsWith('/openapi/v3/') && options.openapi) {
      const doc = options.openapi.document(path.slice('/openapi/v3/'.length));
      if (doc) return rawJson(200, doc, { etag: `"${req.query.get('hash') ?? ''}"` });
    }
    return notFoundPage();
  };

  return {
    handle: async (req) => {
      try {
        return await route(req);
      } catch (err: unknown) {
        return errorResponse(err, log, { method: req.method, path: req.path });
      }
    },
    registry: (key) => {
      const def = byKey.get(key);
      return def ? registryFor(def.group, def.version, def.resource) : undefined;
    },
  };
}

/** kube-apiserver's plain-text 404 for unknown paths (kubectl maps it to NotFound). */
function notFoundPage(): ApiResponse {
  return {
    status: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: '404 page not found\n',
  };
}

/**
 * Builds the API server from its parts: the resource definitions, printers, patch algorithms,
 * OpenAPI documents, body decoders and streaming handlers. The one place that knows them all.
 */
import { createApiServer, type ApiServer } from '../api/api-server.ts';
import type { ResourceRef } from '../client/kube-client.ts';
import { managedFieldsUpdater, patchOps } from '../api/patch/patch-ops.ts';
import { OpenApiDocuments } from '../api/openapi/documents.ts';
import { pruneUnknownFields } from '../api/openapi/unknown-fields.ts';
import { renderTable } from '../api/printers/table.ts';
import { decodeProtobufObject } from '../api/protobuf/decode-protobuf.ts';
import { resourceDefs } from '../api/resources/index.ts';
import { groupVersion, type ResourceDef } from '../api/resource-def.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import { podLogHandler } from './pod-logs.ts';

const defs: ResourceDef[] = resourceDefs;

/** Options for {@link buildApiServer}. */
export interface ApiWiringOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  serverAddress: string;
  /** Where the node agent writes container logs (`<data>/logs`). */
  podLogsDir: string;
}

/** The API server with every served resource. */
export function buildApiServer(options: ApiWiringOptions): ApiServer {
  const { store, clock, log, serverAddress } = options;
  return createApiServer({
    store,
    clock,
    log,
    serverAddress,
    defs,
    streaming: {
      log: podLogHandler({
        podLogsDir: options.podLogsDir,
        getPod: (namespace, name) => store.get('pods', namespace, name),
      }),
    },
    renderTable,
    openapi: new OpenApiDocuments(defs),
    decoding: { pruneUnknownFields, protobuf: decodeProtobufObject },
    patch: patchOps,
    managedFields: managedFieldsUpdater,
  });
}

/** Every namespaced resource served (what a namespace may contain). */
export function namespacedResourceRefs(): ResourceRef[] {
  return defs
    .filter((d) => d.namespaced)
    .map((d) => ({ apiVersion: groupVersion(d), resource: d.resource, namespaced: true }));
}

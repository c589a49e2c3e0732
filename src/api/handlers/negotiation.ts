/** Reading what the client accepts and sending objects, lists and Tables back. */
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { ApiRequest, ApiResponse } from '../http-types.ts';
import type { ResourceDef } from '../resource-def.ts';

/** How much of each object a Table row carries (`includeObject`). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Renders objects as a meta.k8s.io/v1 Table (wired to api/printers). */
export type TableRenderer = (
  def: ResourceDef,
  objects: KubeObject[],
  options: {
    now: number;
    includeObject: IncludeObject;
    resourceVersion?: string;
    noHeaders?: boolean;
  },
) => Record<string, unknown>;

/** Whether the Accept header asks for a server-side printed Table. */
export function wantsTable(req: ApiRequest): boolean {
  const accept = req.headers['accept'];
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** The Table's includeObject policy from the query. */
export function includeObjectOf(req: ApiRequest): IncludeObject {
  const v = req.query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Formats warnings as `Warning: 299 - "…"` header values. */
export function warningHeaders(warnings: string[]): Record<string, string> {
  if (!warnings.length) return {};
  return { warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

/** A JSON body response built from an already-serialised string. */
export function rawJson(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body };
}

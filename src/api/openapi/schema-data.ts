/**
 * The schema data generated from @kubernetes/client-node's models (scripts/gen-openapi.ts):
 * per type, its properties (type, array/map, description) and required fields. Loaded once,
 * lazily, so the daemon starts fast.
 */
import { existsSync, readFileSync } from 'node:fs';

/** One property. `t` is a primitive name or another type's name. */
export interface PropSchema {
  t: string;
  array?: true;
  map?: true;
  d?: string;
}

/** One type. */
export interface TypeSchema {
  d?: string;
  required?: string[];
  props: Record<string, PropSchema>;
}

export type SchemaData = Record<string, TypeSchema>;

/** The primitive `t` values. */
export const primitives = new Set([
  'string',
  'integer',
  'number',
  'boolean',
  'date',
  'intorstring',
  'any',
]);

let cached: SchemaData | undefined;

/** Path of the generated file (repo root `generated/schemas.json`, from src/ or dist/). */
export function schemaFile(): string {
  return new URL('../../../generated/schemas.json', import.meta.url).pathname;
}

/** The schema data; throws with the command to run when it has not been generated. */
export function schemaData(): SchemaData {
  if (cached) return cached;
  const file = schemaFile();
  if (!existsSync(file)) {
    throw new Error(`OpenAPI schema data is missing (${file}): run "npm run gen" (npm ci does it)`);
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as SchemaData;
  return cached;
}

/** The model class of a kind (`Pod` → `V1Pod`; core Events are `CoreV1Event`). */
export function className(group: string, kind: string): string {
  if (group === '' && (kind === 'Event' || kind === 'EventList')) return `CoreV1${kind}`;
  return `V1${kind}`;
}

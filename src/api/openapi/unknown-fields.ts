/**
 * Strict field validation: finds the fields of an object that its kind's schema does not have
 * (`spec.containers[0].imagee`) and removes them, as kube-apiserver's decoder drops them.
 */
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { GroupVersionKind } from '../resource-def.ts';
import {
  className,
  primitives,
  schemaData,
  type PropSchema,
  type SchemaData,
} from './schema-data.ts';

function walkValue(
  data: SchemaData,
  prop: PropSchema,
  value: unknown,
  path: string,
  out: string[],
): void {
  if (value === null || value === undefined) return;
  if (prop.map) {
    if (typeof value !== 'object' || Array.isArray(value)) return;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      walkItem(data, prop, v, `${path}[${k}]`, out);
    }
    return;
  }
  if (prop.array) {
    if (!Array.isArray(value)) return;
    value.forEach((v, i) => walkItem(data, prop, v, `${path}[${i}]`, out));
    return;
  }
  walkItem(data, prop, value, path, out);
}

function walkItem(
  data: SchemaData,
  prop: PropSchema,
  value: unknown,
  path: string,
  out: string[],
): void {
  if (prop.map && prop.array && Array.isArray(value)) {
    value.forEach((v, i) => walkType(data, prop.t, v, `${path}[${i}]`, out));
    return;
  }
  walkType(data, prop.t, value, path, out);
}

function walkType(
  data: SchemaData,
  type: string,
  value: unknown,
  path: string,
  out: string[],
): void {
  if (primitives.has(type)) return;
  const schema = data[type];
  if (!schema || typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const p = schema.props[key];
    const at = path ? `${path}.${key}` : key;
    if (!p) {
      out.push(at);
      delete obj[key];
      continue;
    }
    walkValue(data, p, obj[key], at, out);
  }
}

/** Unknown field paths of `object` (removed from it). Kinds without a schema have none. */
export function pruneUnknownFields(gvk: GroupVersionKind, object: KubeObject): string[] {
  const data = schemaData();
  const type = className(gvk.group, gvk.kind);
  if (!data[type]) return [];
  const out: string[] = [];
  walkType(data, type, object, '', out);
  return out;
}

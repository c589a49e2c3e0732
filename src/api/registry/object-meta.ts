/** Server-filled metadata: uid, creationTimestamp, generateName, generation. */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../k8s/types/meta.ts';

const nameChars = 'bcdfghjklmnpqrstvwxz2456789';

/** Five random characters as kube-apiserver appends to `generateName`. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += nameChars.charAt(Math.floor(Math.random() * nameChars.length));
  return s;
}

/** RFC 3339 with seconds precision (`2026-01-01T00:00:00Z`), as metav1.Time marshals. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Kinds whose `metadata.generation` tracks spec changes. */
export const generationTracked = new Set([
  'deployments',
  'replicasets',
  'jobs',
  'statefulsets',
  'daemonsets',
]);

/** Fills what the server sets on create (in place). */
export function fillCreateMeta(obj: KubeObject, resource: string, now: number): void {
  const m = obj.metadata;
  if (!m.name && m.generateName) m.name = m.generateName + randomSuffix();
  m.uid = randomUUID();
  m.creationTimestamp = rfc3339(now);
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (generationTracked.has(resource)) m.generation = 1;
  else delete m.generation;
}

/** Copies what an update may never change from the stored object (in place). */
export function keepImmutableMeta(obj: KubeObject, old: KubeObject): void {
  const m = obj.metadata;
  const o = old.metadata;
  m.uid = o.uid!;
  m.creationTimestamp = o.creationTimestamp ?? null;
  if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined)
    m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  if (o.generation !== undefined) m.generation = o.generation;
  else delete m.generation;
  if (o.generateName !== undefined && m.generateName === undefined) m.generateName = o.generateName;
  delete m.selfLink;
}

/** Deep equality for JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** A deep copy of a JSON value. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

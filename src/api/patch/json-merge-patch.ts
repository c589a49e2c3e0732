/** JSON merge patch (RFC 7386), as `application/merge-patch+json` requests use it. */
import { cloneJson, isObject, type JsonObject } from './json-value.ts';

/** Applies an RFC 7386 merge patch to `original` and returns a new value; inputs are not mutated. */
export function applyMergePatch(original: unknown, patch: unknown): unknown {
  return mergeInto(cloneJson(original), patch);
}

function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergeInto(out[key], value);
  }
  return out;
}

/**
 * JSON patch (RFC 6902), as `application/json-patch+json` requests use it. Failures are reported
 * as kube-apiserver reports them: a malformed patch is a 400, an operation that does not apply
 * is a 422 whose message is the generic one (the detail is kept as the error's cause).
 */
import { ApiError, BadRequestError } from '../../k8s/errors.ts';
import { cloneJson, isObject, jsonEqual, type JsonObject } from './json-value.ts';

/** One decoded JSON patch operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/** The message kube-apiserver returns when a JSON patch does not apply. */
export const jsonPatchRejected = 'the server rejected our request due to an error in our request';

/** kube-apiserver's limit on the number of operations in one JSON patch. */
export const maxJsonPatchOperations = 10000;

class PatchFailure extends Error {}

/** Checks the shape of a JSON patch document and returns its operations (400 when malformed). */
export function decodeJsonPatch(ops: unknown): JsonPatchOperation[] {
  if (!Array.isArray(ops)) {
    const got = ops === null ? 'null' : isObject(ops) ? 'object' : typeof ops;
    throw new BadRequestError(
      `json: cannot unmarshal ${got} into Go value of type jsonpatch.Patch`,
    );
  }
  const out: JsonPatchOperation[] = [];
  for (const raw of ops as unknown[]) {
    const op: JsonObject = isObject(raw) ? raw : {};
    const invalid = (why: string): BadRequestError =>
      new BadRequestError(`invalid operation ${JSON.stringify(raw)}: ${why}`);
    const kind = op['op'];
    if (
      typeof kind !== 'string' ||
      !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(kind)
    )
      throw invalid('unsupported operation');
    if ((kind === 'add' || kind === 'replace') && !Object.hasOwn(op, 'value'))
      throw invalid("failed to decode 'value': operation, missing value field: missing value");
    if ((kind === 'move' || kind === 'copy') && typeof op['from'] !== 'string')
      throw invalid("failed to decode 'from': operation, missing from field: missing value");
    if (typeof op['path'] !== 'string')
      throw invalid("failed to decode 'path': operation missing path field: missing value");
    out.push({
      op: kind as JsonPatchOperation['op'],
      path: op['path'],
      ...(typeof op['from'] === 'string' ? { from: op['from'] } : {}),
      ...(Object.hasOwn(op, 'value') ? { value: op['value'] } : {}),
    });
  }
  if (out.length > maxJsonPatchOperations) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${out.length}`,
    );
  }
  return out;
}

/** Applies an RFC 6902 JSON patch to `original` and returns a new document; inputs are not mutated. */
export function applyJsonPatch(original: unknown, ops: unknown): unknown {
  const decoded = decodeJsonPatch(ops);
  const box = { doc: cloneJson(original) };
  try {
    for (const op of decoded) applyOne(box, op);
  } catch (err: unknown) {
    if (!(err instanceof PatchFailure)) throw err;
    throw new ApiError(422, 'Invalid', jsonPatchRejected, {}, { cause: err });
  }
  return box.doc;
}

/** Splits a JSON pointer into unescaped tokens; `undefined` when it is not a pointer. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

type Container = JsonObject | unknown[];

/** Finds the container holding the last token of `pointer`. */
function locate(doc: unknown, pointer: string): { parent: Container; key: string } | undefined {
  const tokens = parsePointer(pointer);
  if (!tokens || tokens.length === 0) return undefined;
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = Array.isArray(cur)
      ? cur[arrayIndex(t, cur.length, false) ?? -1]
      : isObject(cur)
        ? cur[t]
        : undefined;
    if (!Array.isArray(cur) && !isObject(cur)) return undefined;
  }
  if (!Array.isArray(cur) && !isObject(cur)) return undefined;
  return { parent: cur, key: tokens.at(-1)! };
}

/** Resolves an array index token (negative counts from the end); `undefined` when out of range. */
function arrayIndex(token: string, length: number, forInsert: boolean): number | undefined {
  if (!/^-?\d+$/.test(token)) return undefined;
  let i = Number(token);
  const size = forInsert ? length + 1 : length;
  if (i < 0) i += size;
  return i >= 0 && i < size ? i : undefined;
}

function fail(message: string): never {
  throw new PatchFailure(message);
}

function get(c: Container, key: string): { found: boolean; value: unknown } {
  if (Array.isArray(c)) {
    const i = arrayIndex(key, c.length, false);
    return i === undefined ? { found: false, value: undefined } : { found: true, value: c[i] };
  }
  return Object.hasOwn(c, key)
    ? { found: true, value: c[key] }
    : { found: false, value: undefined };
}

function add(c: Container, key: string, value: unknown, path: string): void {
  if (!Array.isArray(c)) {
    c[key] = value;
    return;
  }
  if (key === '-') {
    c.push(value);
    return;
  }
  if (!/^-?\d+$/.test(key))
    fail(`error in add for path: '${path}': value was not a proper array index: '${key}'`);
  const i = arrayIndex(key, c.length, true);
  if (i === undefined)
    fail(
      `error in add for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`,
    );
  c.splice(i, 0, value);
}

function remove(c: Container, key: string, path: string, what = 'remove'): unknown {
  if (Array.isArray(c)) {
    const i = arrayIndex(key, c.length, false);
    if (i === undefined)
      fail(
        `error in ${what} for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`,
      );
    return c.splice(i, 1)[0];
  }
  if (!Object.hasOwn(c, key))
    fail(
      `error in ${what} for path: '${path}': unable to remove nonexistent key: ${key}: missing value`,
    );
  const v = c[key];
  delete c[key];
  return v;
}

function applyOne(box: { doc: unknown }, op: JsonPatchOperation): void {
  const { path } = op;
  switch (op.op) {
    case 'add': {
      if (path === '') {
        box.doc = cloneJson(op.value);
        return;
      }
      const at =
        locate(box.doc, path) ??
        fail(`add operation does not apply: doc is missing path: "${path}": missing value`);
      add(at.parent, at.key, cloneJson(op.value), path);
      return;
    }
    case 'remove': {
      const at =
        locate(box.doc, path) ??
        fail(`remove operation does not apply: doc is missing path: "${path}": missing value`);
      remove(at.parent, at.key, path);
      return;
    }
    case 'replace': {
      if (path === '') {
        if (!isObject(op.value) && !Array.isArray(op.value))
          fail('replace operation value must be object or array');
        box.doc = cloneJson(op.value);
        return;
      }
      const at =
        locate(box.doc, path) ??
        fail(`replace operation does not apply: doc is missing path: ${path}: missing value`);
      if (!get(at.parent, at.key).found)
        fail(`replace operation does not apply: doc is missing key: ${path}: missing value`);
      if (Array.isArray(at.parent))
        at.parent[arrayIndex(at.key, at.parent.length, false)!] = cloneJson(op.value);
      else at.parent[at.key] = cloneJson(op.value);
      return;
    }
    case 'move': {
      const from = op.from!;
      if (from === '')
        fail('unable to move entire document to another path: invalid state detected');
      const src =
        locate(box.doc, from) ??
        fail(`move operation does not apply: doc is missing from path: ${from}: missing value`);
      if (!get(src.parent, src.key).found)
        fail(
          `error in move for path: '${src.key}': unable to get nonexistent key: ${src.key}: missing value`,
        );
      const value = remove(src.parent, src.key, src.key, 'move');
      const dst =
        locate(box.doc, path) ??
        fail(
          `move operation does not apply: doc is missing destination path: ${path}: missing value`,
        );
      add(dst.parent, dst.key, value, path);
      return;
    }
    case 'copy': {
      const from = op.from!;
      let value: unknown;
      if (from === '') value = box.doc;
      else {
        const src =
          locate(box.doc, from) ??
          fail(`copy operation does not apply: doc is missing from path: "${from}": missing value`);
        const got = get(src.parent, src.key);
        if (!got.found)
          fail(
            `error in copy for from: '${from}': unable to get nonexistent key: ${src.key}: missing value`,
          );
        value = got.value;
      }
      if (path === '') {
        box.doc = cloneJson(value);
        return;
      }
      const dst =
        locate(box.doc, path) ??
        fail(
          `copy operation does not apply: doc is missing destination path: ${path}: missing value`,
        );
      add(dst.parent, dst.key, cloneJson(value), path);
      return;
    }
    case 'test': {
      let actual: unknown;
      if (path === '') actual = box.doc;
      else {
        const at =
          locate(box.doc, path) ??
          fail(`test operation does not apply: is missing path: ${path}: missing value`);
        actual = get(at.parent, at.key).value;
      }
      const expected = op.value ?? null;
      if (!jsonEqual(actual ?? null, expected)) fail(`testing value ${path} failed: test failed`);
      return;
    }
  }
}

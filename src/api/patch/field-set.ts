/**
 * A set of field paths, as server-side apply tracks ownership: a trie whose edges are FieldsV1
 * path elements (`f:spec`, `k:{"name":"web"}`, `v:"foreground"`, `i:0`) and whose nodes are
 * members of the set when `self` is true. Encodes to and from `managedFields[].fieldsV1`.
 */
import { isObject, type JsonObject } from './json-value.ts';

/** One path: a list of FieldsV1 path elements. */
export type FieldPath = readonly string[];

/** A set of field paths. */
export class FieldSet {
  self = false;
  readonly children = new Map<string, FieldSet>();

  /** Decodes a `fieldsV1` object. */
  static fromFieldsV1(v: unknown): FieldSet {
    const set = new FieldSet();
    if (!isObject(v)) return set;
    for (const [key, child] of Object.entries(v)) {
      if (key === '.') {
        set.self = true;
        continue;
      }
      const node = FieldSet.fromFieldsV1(child);
      if (node.children.size === 0) node.self = true;
      set.children.set(key, node);
    }
    return set;
  }

  /** Encodes the set as a `fieldsV1` object, with elements in upstream's order. */
  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    if (this.self && this.children.size > 0) out['.'] = {};
    for (const key of [...this.children.keys()].sort(compareElements)) {
      out[key] = this.children.get(key)!.toFieldsV1();
    }
    return out;
  }

  /** Adds `path` to the set. */
  insert(path: FieldPath): void {
    let node: FieldSet = this.#self();
    for (const el of path) {
      let next = node.children.get(el);
      if (!next) {
        next = new FieldSet();
        node.children.set(el, next);
      }
      node = next;
    }
    node.self = true;
  }

  /** Whether `path` is a member. */
  has(path: FieldPath): boolean {
    return this.#node(path)?.self ?? false;
  }

  /** Whether `path` or anything below it is a member. */
  hasPrefix(path: FieldPath): boolean {
    const node = this.#node(path);
    return node !== undefined && !node.isEmpty();
  }

  /** Removes `path` (not its descendants). */
  remove(path: FieldPath): void {
    const node = this.#node(path);
    if (node) node.self = false;
    this.#prune();
  }

  /** Drops `path` itself from the set when it has members below it (they stay). */
  demote(path: FieldPath): void {
    const node = this.#node(path);
    if (node && node.children.size > 0) node.self = false;
  }

  /** Whether the set has no members. */
  isEmpty(): boolean {
    if (this.self) return false;
    for (const child of this.children.values()) if (!child.isEmpty()) return false;
    return true;
  }

  /** Every member path, parents before children. */
  paths(prefix: FieldPath = []): FieldPath[] {
    const out: FieldPath[] = this.self && prefix.length > 0 ? [prefix] : [];
    for (const [el, child] of this.children) out.push(...child.paths([...prefix, el]));
    return out;
  }

  /** A new set with the members of both. */
  union(other: FieldSet): FieldSet {
    const out = this.clone();
    for (const p of other.paths()) out.insert(p);
    return out;
  }

  /** A new set with the members of this one that `other` lacks. */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const p of this.paths()) if (!other.has(p)) out.insert(p);
    return out;
  }

  /** A new set with the members found in both. */
  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const p of this.paths()) if (other.has(p)) out.insert(p);
    return out;
  }

  /** Whether both sets have the same members. */
  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** A deep copy. */
  clone(): FieldSet {
    const out = new FieldSet();
    out.self = this.self;
    for (const [el, child] of this.children) out.children.set(el, child.clone());
    return out;
  }

  #self(): this {
    return this;
  }

  #node(path: FieldPath): FieldSet | undefined {
    let node: FieldSet | undefined = this.#self();
    for (const el of path) {
      node = node.children.get(el);
      if (!node) return undefined;
    }
    return node;
  }

  #prune(): void {
    for (const [el, child] of this.children) {
      child.#prune();
      if (child.isEmpty()) this.children.delete(el);
    }
  }
}

const elementOrder = 'fkvi';

function compareElements(a: string, b: string): number {
  const byType = elementOrder.indexOf(a[0]!) - elementOrder.indexOf(b[0]!);
  if (byType !== 0) return byType;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `f:<name>`: the path element of an object field. */
export const fieldElement = (name: string): string => `f:${name}`;

/** `k:{…}`: the path element of a keyed list item (keys sorted, as upstream encodes them). */
export function keyElement(keys: Record<string, unknown>): string {
  const sorted = Object.fromEntries(
    Object.keys(keys)
      .sort()
      .map((k) => [k, keys[k]]),
  );
  return `k:${JSON.stringify(sorted)}`;
}

/** `v:<json>`: the path element of a set item. */
export const valueElement = (value: unknown): string => `v:${JSON.stringify(value)}`;

/** Formats a path as kube-apiserver prints it in conflicts: `.spec.containers[name="web"].image`. */
export function pathString(path: FieldPath): string {
  return path
    .map((el) => {
      const body = el.slice(2);
      switch (el[0] ?? '') {
        case 'f':
          return `.${body}`;
        case 'k': {
          const keys = JSON.parse(body) as JsonObject;
          return `[${Object.entries(keys)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/**
 * Kubernetes field selectors (`metadata.name=web,status.phase!=Running`): `=`, `==` and `!=`
 * terms joined by commas, with `\,`, `\=` and `\\` escapes in values, parsed as
 * k8s.io/apimachinery parses them. Which fields exist is the API layer's business: the parsed
 * requirements expose the field names so it can reject unsupported ones.
 */
import { BadRequestError } from '../errors.ts';

/** One term of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  /** `=` and `==` both mean equality. */
  readonly operator: '=' | '==' | '!=';
  /** The unescaped value. */
  readonly value: string;
}

/** A parsed field selector. */
export interface ParsedFieldSelector {
  /** Terms in the order upstream evaluates them (sorted by their source text). */
  readonly requirements: readonly FieldRequirement[];
  /** True when the selector selects everything. */
  readonly empty: boolean;
  /** Whether the fields satisfy every term; a missing field reads as "". */
  matches(fields: Readonly<Record<string, string>>): boolean;
  /** The canonical string form (values escaped). */
  toString(): string;
}

/** Escapes a literal value for use in a field selector. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Unescapes a field selector value; throws BadRequestError on a bad escape or bare `,`/`=`. */
export function unescapeFieldValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = '';
  let escaped = false;
  for (const c of value) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=')
        throw new BadRequestError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      throw new BadRequestError(
        `invalid field selector: unescaped character in value: ${c.codePointAt(0)!}`,
      );
    } else {
      out += c;
    }
  }
  if (escaped) throw new BadRequestError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped; escaped commas stay (with their backslash) in the term. */
function splitTerms(selector: string): string[] {
  if (selector === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const operators = ['!=', '==', '='] as const;

/** Splits a term at the first operator; the left side knows no escapes. */
function splitTerm(term: string): FieldRequirement | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of operators) {
      if (term.startsWith(op, i)) {
        return { field: term.slice(0, i), operator: op, value: term.slice(i + op.length) };
      }
    }
  }
  return undefined;
}

function requirementString(r: FieldRequirement): string {
  return `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`;
}

/** Builds a selector from requirements. */
export function fieldSelectorOf(requirements: FieldRequirement[]): ParsedFieldSelector {
  const empty = requirements.length === 0;
  return {
    requirements,
    empty,
    matches: (fields) => {
      for (const r of requirements) {
        const v = Object.hasOwn(fields, r.field) ? fields[r.field]! : '';
        if ((v === r.value) === (r.operator === '!=')) return false;
      }
      return true;
    },
    toString: () => requirements.map(requirementString).join(','),
  };
}

/** A field selector that matches everything. */
export const everythingFieldSelector: ParsedFieldSelector = fieldSelectorOf([]);

const cache = new Map<string, ParsedFieldSelector>();
const cacheLimit = 512;

/** Parses a field selector string; throws BadRequestError when it is invalid. */
export function parseFieldSelector(selector: string): ParsedFieldSelector {
  const hit = cache.get(selector);
  if (hit) return hit;
  const terms = splitTerms(selector).sort();
  const requirements: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const r = splitTerm(term);
    if (!r)
      throw new BadRequestError(`invalid selector: '${selector}'; can't understand '${term}'`);
    requirements.push({ ...r, value: unescapeFieldValue(r.value) });
  }
  const parsed = fieldSelectorOf(requirements);
  if (cache.size >= cacheLimit) cache.clear();
  cache.set(selector, parsed);
  return parsed;
}

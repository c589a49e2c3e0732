/**
 * Kubernetes label selectors: the string syntax (`app=web,tier in (a,b),!canary,gen>3`) parsed
 * as k8s.io/apimachinery parses it, the `LabelSelector` object form, matching, and the canonical
 * string form. Invalid selectors throw BadRequestError with kube-apiserver's wording.
 */
import { BadRequestError } from '../errors.ts';
import type { LabelSelector } from '../types/meta.ts';
import {
  aggregateErrors,
  invalidValue,
  labelKeyErrors,
  labelValueErrors,
} from './label-validation.ts';
import { tokenizeLabelSelector, type LabelToken } from './label-lexer.ts';

/** Upstream's operator names (`selection.Operator`). */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a selector; all requirements must hold. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted, de-duplicated values (empty for exists / does-not-exist). */
  readonly values: readonly string[];
}

/** A parsed label selector. */
export interface ParsedLabelSelector {
  /** Requirements sorted by key. */
  readonly requirements: readonly LabelRequirement[];
  /** True when the selector selects everything. */
  readonly empty: boolean;
  /** Whether the labels satisfy every requirement. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** The canonical string form. */
  toString(): string;
}

const binaryOperators = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** Validates a requirement as upstream's NewRequirement does; returns error lines. */
function requirementErrors(key: string, op: LabelOperator, values: readonly string[]): string[] {
  const errs: string[] = [];
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length) errs.push(invalidValue('key', key, keyErrs.join('; ')));
  if ((op === 'in' || op === 'notin') && values.length === 0)
    errs.push(
      invalidValue('values', values, "for 'in', 'notin' operators, values set can't be empty"),
    );
  if ((op === '=' || op === '==' || op === '!=') && values.length !== 1)
    errs.push(
      invalidValue('values', values, 'exact-match compatibility requires one single value'),
    );
  if ((op === 'exists' || op === '!') && values.length !== 0)
    errs.push(
      invalidValue('values', values, 'values set must be empty for exists and does not exist'),
    );
  if (op === 'gt' || op === 'lt') {
    if (values.length !== 1)
      errs.push(
        invalidValue('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"),
      );
    values.forEach((v, i) => {
      if (parseInt64(v) === undefined)
        errs.push(
          invalidValue(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"),
        );
    });
  }
  values.forEach((v, i) => {
    const valErrs = labelValueErrors(v);
    if (valErrs.length) errs.push(invalidValue(`values[${i}][${key}]`, v, valErrs.join('; ')));
  });
  return errs;
}

function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function requirementMatches(
  r: LabelRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && r.values.includes(value);
    case 'notin':
    case '!=':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (value === undefined || r.values.length !== 1) return false;
      const have = parseInt64(value);
      const want = parseInt64(r.values[0]!);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

/** The canonical string of one requirement (`!a`, `a`, `a=b`, `a in (x,y)`, `a>3`). */
export function labelRequirementString(r: LabelRequirement): string {
  const vals = [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${vals})`;
    case 'notin':
      return `${r.key} notin (${vals})`;
    case 'gt':
      return `${r.key}>${vals}`;
    case 'lt':
      return `${r.key}<${vals}`;
    case '=':
    case '==':
    case '!=':
      return `${r.key}${r.operator}${vals}`;
  }
}

/** Builds a selector from already validated requirements. */
function selectorOf(requirements: LabelRequirement[]): ParsedLabelSelector {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const empty = sorted.length === 0;
  return {
    requirements: sorted,
    empty,
    matches: (labels) => {
      if (empty) return true;
      const ls = labels ?? {};
      for (const r of sorted) if (!requirementMatches(r, ls)) return false;
      return true;
    },
    toString: () => sorted.map(labelRequirementString).join(','),
  };
}

/** A selector that matches everything. */
export const everythingLabelSelector: ParsedLabelSelector = selectorOf([]);

/** A selector that matches nothing (upstream's `labels.Nothing()`, for a nil LabelSelector). */
export const nothingLabelSelector: ParsedLabelSelector = {
  requirements: [],
  empty: false,
  matches: () => false,
  toString: () => '',
};

/** Recursive-descent parser over the token list (mirrors upstream's grammar and messages). */
class Parser {
  #pos = 0;
  constructor(private readonly tokens: LabelToken[]) {}

  /** Current token; `in`/`notin` read as identifiers where values are expected. */
  #peek(asValue: boolean): LabelToken {
    const t = this.tokens[this.#pos]!;
    return asValue && (t.kind === 'in' || t.kind === 'notin')
      ? { kind: 'identifier', text: t.text }
      : t;
  }

  #next(asValue: boolean): LabelToken {
    const t = this.#peek(asValue);
    this.#pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    for (;;) {
      const t = this.#peek(true);
      if (t.kind === 'end') return out;
      if (t.kind !== 'identifier' && t.kind !== '!')
        throw new Error(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      try {
        out.push(this.#requirement());
      } catch (err: unknown) {
        throw new Error(
          `unable to parse requirement: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      const sep = this.#next(true);
      if (sep.kind === 'end') return out;
      if (sep.kind !== ',')
        throw new Error(`found '${sep.text}', expected: ',' or 'end of string'`);
      const after = this.#peek(true);
      if (after.kind !== 'identifier' && after.kind !== '!')
        throw new Error(`found '${after.text}', expected: identifier after ','`);
    }
  }

  #requirement(): LabelRequirement {
    let t = this.#next(true);
    let negated = false;
    if (t.kind === '!') {
      negated = true;
      t = this.#next(true);
    }
    if (t.kind !== 'identifier') throw new Error(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length) throw new Error(invalidValue('<nil>', key, keyErrs.join('; ')));
    const following = this.#peek(true).kind;
    if (negated || following === 'end' || following === ',') {
      return this.#validated(key, negated ? '!' : 'exists', []);
    }
    const opTok = this.#next(false);
    if (!binaryOperators.includes(opTok.kind) && opTok.kind !== '>' && opTok.kind !== '<')
      throw new Error(`found '${opTok.text}', expected: ${binaryOperators.join(', ')}`);
    const op: LabelOperator =
      opTok.kind === '>' ? 'gt' : opTok.kind === '<' ? 'lt' : (opTok.kind as LabelOperator);
    const values = op === 'in' || op === 'notin' ? this.#setValues() : this.#exactValue();
    return this.#validated(key, op, sortedUnique(values));
  }

  #validated(key: string, op: LabelOperator, values: string[]): LabelRequirement {
    const errs = requirementErrors(key, op, values);
    if (errs.length) throw new Error(aggregateErrors(errs));
    return { key, operator: op, values };
  }

  #setValues(): string[] {
    const open = this.#next(true);
    if (open.kind !== '(') throw new Error(`found '${open.text}' expected: '('`);
    const first = this.#peek(true);
    if (first.kind === ')') {
      this.#pos++;
      return [''];
    }
    if (first.kind !== 'identifier' && first.kind !== ',')
      throw new Error(`found '${first.text}', expected: ',', ')' or identifier`);
    const values = this.#identifierList();
    if (this.#next(true).kind !== ')') throw new Error(`found '${first.text}', expected: ')'`);
    return values;
  }

  #identifierList(): string[] {
    const values: string[] = [];
    for (;;) {
      const t = this.#next(true);
      if (t.kind === 'identifier') {
        values.push(t.text);
        const after = this.#peek(true);
        if (after.kind === ')') return values;
        if (after.kind !== ',') throw new Error(`found '${after.text}', expected: ',' or ')'`);
      } else if (t.kind === ',') {
        // Empty entries (`(,a)`, `(a,)`, `(a,,b)`) stand for the empty value.
        if (values.length === 0) values.push('');
        const after = this.#peek(true).kind;
        if (after === ')' || after === ',') values.push('');
        if (after === ')') return values;
      } else {
        throw new Error(`found '${t.text}', expected: ',', or identifier`);
      }
    }
  }

  #exactValue(): string[] {
    const t = this.#peek(true);
    if (t.kind === 'end' || t.kind === ',') return [''];
    this.#pos++;
    if (t.kind === 'identifier') return [t.text];
    throw new Error(`found '${t.text}', expected: identifier`);
  }
}

const cache = new Map<string, ParsedLabelSelector>();
const cacheLimit = 512;

/** Parses a label selector string; throws BadRequestError when it is invalid. */
export function parseLabelSelector(selector: string): ParsedLabelSelector {
  const hit = cache.get(selector);
  if (hit) return hit;
  let requirements: LabelRequirement[];
  try {
    requirements = new Parser(tokenizeLabelSelector(selector)).parse();
  } catch (err: unknown) {
    throw new BadRequestError(err instanceof Error ? err.message : String(err));
  }
  const parsed = selectorOf(requirements);
  if (cache.size >= cacheLimit) cache.clear();
  cache.set(selector, parsed);
  return parsed;
}

const objectOperators: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * Converts a `LabelSelector` object to a selector: undefined selects nothing, `{}` everything.
 * Throws BadRequestError for invalid keys, values or operators.
 */
export function labelSelectorFromObject(sel: LabelSelector | undefined): ParsedLabelSelector {
  if (!sel) return nothingLabelSelector;
  const reqs: LabelRequirement[] = [];
  const check = (key: string, op: LabelOperator, values: string[]): void => {
    const errs = requirementErrors(key, op, values);
    if (errs.length) throw new BadRequestError(aggregateErrors(errs));
    reqs.push({ key, operator: op, values });
  };
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) check(key, '=', [value]);
  for (const expr of sel.matchExpressions ?? []) {
    const op = objectOperators[expr.operator as string];
    if (!op)
      throw new BadRequestError(
        `${JSON.stringify(expr.operator)} is not a valid label selector operator`,
      );
    check(expr.key, op, [...(expr.values ?? [])]);
  }
  return selectorOf(reqs);
}

/** The canonical string of a `LabelSelector` object (`app=web,tier in (a,b)`). */
export function labelSelectorObjectString(sel: LabelSelector | undefined): string {
  return labelSelectorFromObject(sel).toString();
}

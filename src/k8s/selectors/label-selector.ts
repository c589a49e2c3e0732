/**
 * Kubernetes label selectors: the string syntax (`app=web,tier in (a,b),!canary,gen>3`) parsed
 * as k8s.io/apimachinery parses it, the `LabelSelector` object form, matching, and the canonical
 * string form. Invalid selectors throw BadRequestError with kube-apiserver's wording.
 */
import { BadRequestError } from '../errors.ts';
import type { LabelSelector } from '../types/meta.ts';
import { aggregateErrors } from './label-validation.ts';
import { tokenizeLabelSelector } from './label-lexer.ts';
import { LabelSelectorParser } from './label-parser.ts';
import {
  labelRequirementString,
  requirementErrors,
  requirementMatches,
  type LabelOperator,
  type LabelRequirement,
} from './label-requirement.ts';

export type { LabelOperator, LabelRequirement } from './label-requirement.ts';
export { labelRequirementString } from './label-requirement.ts';

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

const cache = new Map<string, ParsedLabelSelector>();
const cacheLimit = 512;

/** Parses a label selector string; throws BadRequestError when it is invalid. */
export function parseLabelSelector(selector: string): ParsedLabelSelector {
  const hit = cache.get(selector);
  if (hit) return hit;
  let requirements: LabelRequirement[];
  try {
    requirements = new LabelSelectorParser(tokenizeLabelSelector(selector)).parse();
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

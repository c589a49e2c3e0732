/** One label selector requirement: its operators, validation, matching and string form. */
import { invalidValue, labelKeyErrors, labelValueErrors } from './label-validation.ts';

/** Upstream's operator names (`selection.Operator`). */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a selector; all requirements must hold. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted, de-duplicated values (empty for exists / does-not-exist). */
  readonly values: readonly string[];
}

/** Validates a requirement as upstream's NewRequirement does; returns error lines. */
export function requirementErrors(
  key: string,
  op: LabelOperator,
  values: readonly string[],
): string[] {
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

/** Sorted distinct values. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Whether labels satisfy one requirement. */
export function requirementMatches(
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

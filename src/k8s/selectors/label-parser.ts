/** The recursive-descent parser for label selector strings (upstream's grammar and messages). */
import {
  requirementErrors,
  sortedUnique,
  type LabelOperator,
  type LabelRequirement,
} from './label-requirement.ts';
import { aggregateErrors, invalidValue, labelKeyErrors } from './label-validation.ts';
import type { LabelToken } from './label-lexer.ts';

const binaryOperators = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** Parses a token list into requirements; throws plain Errors with upstream's wording. */
export class LabelSelectorParser {
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

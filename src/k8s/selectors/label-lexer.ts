/** The tokenizer for label selector strings, splitting as upstream's lexer does. */

/** A token kind: an operator or punctuation literal, `identifier`, `end`, or `error`. */
export type LabelTokenKind =
  | 'identifier'
  | 'end'
  | 'error'
  | ')'
  | '('
  | ','
  | '!'
  | '=='
  | '='
  | '!='
  | '>'
  | '<'
  | 'in'
  | 'notin';

/** One lexed token with the text it came from. */
export interface LabelToken {
  kind: LabelTokenKind;
  text: string;
}

const literals = new Set<string>([')', '(', ',', '!', '==', '=', '!=', '>', '<', 'in', 'notin']);

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSymbol = (c: string): boolean =>
  c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

/** Splits a selector into tokens, always ending with an `end` token. */
export function tokenizeLabelSelector(s: string): LabelToken[] {
  const out: LabelToken[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i]!)) i++;
    if (i >= s.length) {
      out.push({ kind: 'end', text: '' });
      return out;
    }
    if (isSymbol(s[i]!)) {
      // Longest run of symbol characters that still forms a known operator.
      let buf = '';
      let best: string | undefined;
      let j = i;
      while (j < s.length && isSymbol(s[j]!)) {
        buf += s[j]!;
        if (literals.has(buf)) best = buf;
        else if (best !== undefined) break;
        j++;
      }
      if (best === undefined) {
        out.push({ kind: 'error', text: `error expected: keyword found '${buf}'` });
        i = j;
      } else {
        out.push({ kind: best as LabelTokenKind, text: best });
        i += best.length;
      }
      continue;
    }
    let j = i;
    while (j < s.length && !isSymbol(s[j]!) && !isSpace(s[j]!)) j++;
    const word = s.slice(i, j);
    out.push({ kind: word === 'in' || word === 'notin' ? word : 'identifier', text: word });
    i = j;
  }
}

/**
 * Label key and value validation with kube-apiserver's wording: a key is an optional DNS
 * subdomain prefix and a slash, then a name of at most 63 characters; a value is empty or a
 * name-like string of at most 63 characters.
 */

const nameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const nameRe = new RegExp(`^${nameFmt}$`);
const valueFmt = `(${nameFmt})?`;
const valueRe = new RegExp(`^${valueFmt}$`);
const dnsLabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dnsSubdomainFmt = `${dnsLabelFmt}(\\.${dnsLabelFmt})*`;
const dnsSubdomainRe = new RegExp(`^${dnsSubdomainFmt}$`);
const maxNameLength = 63;
const maxSubdomainLength = 253;

const nameMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const valueMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

function regexError(message: string, fmt: string, ...examples: string[]): string {
  const eg = examples.map((e) => `'${e}', `).join('or ');
  return `${message} (e.g. ${eg}regex used for validation is '${fmt}')`;
}

const tooLong = (n: number): string => `must be no more than ${n} bytes`;

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function dnsSubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > maxSubdomainLength) errs.push(tooLong(maxSubdomainLength));
  if (!dnsSubdomainRe.test(value))
    errs.push(regexError(subdomainMsg, dnsSubdomainFmt, 'example.com'));
  return errs;
}

/** Problems with a label key (empty when valid), worded as upstream's `IsQualifiedName`. */
export function labelKeyErrors(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix === '') errs.push('prefix part must be non-empty');
    else for (const e of dnsSubdomainErrors(prefix)) errs.push(`prefix part ${e}`);
  } else {
    return [
      `a valid label key ${regexError(nameMsg, nameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (byteLength(name) > maxNameLength) errs.push(`name part ${tooLong(maxNameLength)}`);
  if (!nameRe.test(name))
    errs.push(`name part ${regexError(nameMsg, nameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** Problems with a label value (empty when valid). */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > maxNameLength) errs.push(tooLong(maxNameLength));
  if (!valueRe.test(value))
    errs.push(regexError(valueMsg, valueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** A Go-style `field: Invalid value: "x": detail` line, as the label parser reports it. */
export function invalidValue(field: string, value: unknown, detail: string): string {
  return `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

/** Joins error lines the way upstream aggregates them: one bare, several in brackets. */
export function aggregateErrors(lines: string[]): string {
  const unique = [...new Set(lines)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

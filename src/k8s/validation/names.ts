/** Name and key validators worded exactly as k8s.io/apimachinery's validation package. */

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const configKeyFmt = '[-._a-zA-Z0-9]+';

const label = new RegExp(`^${dns1123LabelFmt}$`);
const subdomain = new RegExp(`^${dns1123SubdomainFmt}$`);
const label1035 = new RegExp(`^${dns1035LabelFmt}$`);
const configKey = new RegExp(`^${configKeyFmt}$`);

const maxLen = (n: number): string => `must be no more than ${n} characters`;

/** Problems with a DNS-1123 label (container names, namespaces). */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!label.test(value)) {
    errs.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${dns1123LabelFmt}')`,
    );
  }
  return errs;
}

/** Problems with a DNS-1123 subdomain (most object names). */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLen(253));
  if (!subdomain.test(value)) {
    errs.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${dns1123SubdomainFmt}')`,
    );
  }
  return errs;
}

/** Problems with a DNS-1035 label (Service names). */
export function dns1035LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!label1035.test(value)) {
    errs.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${dns1035LabelFmt}')`,
    );
  }
  return errs;
}

/** Problems with a ConfigMap/Secret key. */
export function configMapKeyErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLen(253));
  if (!configKey.test(value)) {
    errs.push(
      `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '${configKeyFmt}')`,
    );
  }
  if (value === '.') errs.push(`must not be '.'`);
  else if (value === '..') errs.push(`must not be '..'`);
  else if (value.startsWith('..')) errs.push(`must not start with '..'`);
  return errs;
}

/** Problems with an environment variable name (1.33 relaxed rule: printable ASCII but '='). */
export function envVarNameErrors(value: string): string[] {
  if (value === '') return [];
  if (!/^[ -<>-~]+$/.test(value))
    return [
      `a valid environment variable name must consist only of printable ASCII characters other than '='`,
    ];
  return [];
}

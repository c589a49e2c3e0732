/** Validation of `metadata` shared by every kind, with kube-apiserver's field paths. */
import { fieldError, type FieldError } from '../field-errors.ts';
import { labelKeyErrors, labelValueErrors } from '../selectors/label-validation.ts';
import type { ObjectMeta } from '../types/meta.ts';
import { dns1123LabelErrors, dns1123SubdomainErrors } from './names.ts';

/** How a kind's names are checked. */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'any';

/** Validates name, namespace, labels and annotations. */
export function validateObjectMeta(
  meta: ObjectMeta,
  namespaced: boolean,
  nameErrors: (name: string) => string[],
): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.name) {
    for (const msg of nameErrors(meta.name))
      errs.push(fieldError.invalid('metadata.name', meta.name, msg));
  }
  if (meta.generateName && !meta.name) {
    for (const msg of nameErrors(meta.generateName.replace(/-$/, 'a'))) {
      errs.push(fieldError.invalid('metadata.generateName', meta.generateName, msg));
    }
  }
  if (namespaced && meta.namespace) {
    for (const msg of dns1123LabelErrors(meta.namespace))
      errs.push(fieldError.invalid('metadata.namespace', meta.namespace, msg));
  }
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    for (const msg of labelKeyErrors(k)) errs.push(fieldError.invalid('metadata.labels', k, msg));
    for (const msg of labelValueErrors(v)) errs.push(fieldError.invalid(`metadata.labels`, v, msg));
  }
  let size = 0;
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    for (const msg of labelKeyErrors(k))
      errs.push(fieldError.invalid('metadata.annotations', k, msg));
    size += k.length + v.length;
  }
  if (size > 256 * 1024) errs.push(fieldError.tooLong('metadata.annotations', '', 256 * 1024));
  return errs;
}

/** Validates an update: name, namespace, uid and creationTimestamp may not change. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = 'field is immutable';
  if (meta.name !== old.name) errs.push(fieldError.invalid('metadata.name', meta.name, immutable));
  if ((meta.namespace ?? '') !== (old.namespace ?? ''))
    errs.push(fieldError.invalid('metadata.namespace', meta.namespace, immutable));
  return errs;
}

/** The name rule's checker. */
export function nameChecker(rule: NameRule): (name: string) => string[] {
  if (rule === 'label') return dns1123LabelErrors;
  if (rule === 'subdomain') return dns1123SubdomainErrors;
  return () => [];
}

export { dns1123LabelErrors, dns1123SubdomainErrors };

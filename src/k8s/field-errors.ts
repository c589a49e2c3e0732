/**
 * Field validation errors, worded exactly as kube-apiserver words them
 * (`spec.containers[0].image: Required value`). Validation code collects a list of these;
 * {@link InvalidError} turns the list into a 422 Status with one cause per error.
 */

/** The kinds of field error kube-apiserver reports, with their `Status` cause reasons. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'InternalError';

/** One problem with one field. */
export interface FieldError {
  type: FieldErrorType;
  /** JSON-ish path, e.g. `spec.containers[0].image`. */
  field: string;
  /** The offending value, when the message shows it. */
  badValue?: unknown;
  /** Free text after the value. */
  detail?: string;
  /** Whether the bad value is printed (Invalid/Duplicate/NotSupported/NotFound do). */
  showValue?: boolean;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error',
};

/** Formats a bad value as Go's field errors do: strings quoted, numbers bare, objects as JSON. */
export function formatBadValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** The error's text without the field path (the `message` of a Status cause). */
export function fieldErrorBody(e: FieldError): string {
  let s = typeText[e.type];
  if (e.showValue) s += `: ${formatBadValue(e.badValue)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `field: body`, as shown in an Invalid error's message. */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** Builders mirroring k8s.io/apimachinery's field package. */
export const fieldError = {
  required: (field: string, detail?: string): FieldError => ({
    type: 'FieldValueRequired',
    field,
    ...(detail ? { detail } : {}),
  }),
  invalid: (field: string, badValue: unknown, detail?: string): FieldError => ({
    type: 'FieldValueInvalid',
    field,
    badValue,
    showValue: true,
    ...(detail ? { detail } : {}),
  }),
  duplicate: (field: string, badValue: unknown): FieldError => ({
    type: 'FieldValueDuplicate',
    field,
    badValue,
    showValue: true,
  }),
  notSupported: (field: string, badValue: unknown, valid: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    badValue,
    showValue: true,
    ...(valid.length
      ? { detail: `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` }
      : {}),
  }),
  forbidden: (field: string, detail: string): FieldError => ({
    type: 'FieldValueForbidden',
    field,
    detail,
  }),
  tooLong: (field: string, badValue: unknown, max: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    detail: `may not be more than ${max} bytes`,
    badValue,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field,
    detail: `must have at most ${max} items`,
    badValue: actual,
  }),
  notFound: (field: string, badValue: unknown): FieldError => ({
    type: 'FieldValueNotFound',
    field,
    badValue,
    showValue: true,
  }),
};

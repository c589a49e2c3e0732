/**
 * podbay's closed set of API errors. Each carries the HTTP code and Kubernetes `reason`;
 * `api/status.ts` turns any of them into a `Status` body in exactly one place, and `client/`
 * turns a `Status` body back into the same class, so callers can write `isNotFound(err)`.
 */
import type { Status, StatusCause, StatusDetails } from './status.ts';
import { type FieldError, fieldErrorBody, fieldErrorString } from './field-errors.ts';

/** A group + resource, e.g. `{group: 'apps', resource: 'deployments'}`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** `pods` or `deployments.apps`: how kube-apiserver names a resource in messages. */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** Base class: an error that maps to a Kubernetes Status. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The Status body for this error. */
  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** 404 NotFound: `pods "web" not found`. */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
  constructor(gr: GroupResource, name: string) {
    super(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, {
      name,
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    });
  }
}

/** 409 AlreadyExists: `configmaps "cfg" already exists`. */
export class AlreadyExistsError extends ApiError {
  override name = 'AlreadyExistsError';
  constructor(gr: GroupResource, name: string) {
    super(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, {
      name,
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    });
  }
}

/** The message kube-apiserver uses for a stale resourceVersion. */
export const conflictMessage =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict: stale resourceVersion, failed precondition, or server-side apply conflicts. */
export class ConflictError extends ApiError {
  override name = 'ConflictError';
  constructor(gr: GroupResource, name: string, message = conflictMessage, causes?: StatusCause[]) {
    super(
      409,
      'Conflict',
      causes
        ? message
        : `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${message}`,
      {
        name,
        ...(gr.group ? { group: gr.group } : {}),
        kind: gr.resource,
        ...(causes ? { causes } : {}),
      },
    );
  }
}

/** 422 Invalid: `Pod "inv" is invalid: spec.containers[0].image: Required value`. */
export class InvalidError extends ApiError {
  override name = 'InvalidError';
  readonly fieldErrors: FieldError[];
  constructor(kind: string, group: string, name: string, errors: FieldError[]) {
    const list = errors.map(fieldErrorString);
    const summary = list.length === 1 ? list[0]! : `[${list.join(', ')}]`;
    super(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
    });
    this.fieldErrors = errors;
  }
}

/** 400 BadRequest. */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
  constructor(message: string, details?: StatusDetails) {
    super(400, 'BadRequest', message, details);
  }
}

/** 403 Forbidden. */
export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
  constructor(message: string, details?: StatusDetails) {
    super(403, 'Forbidden', message, details);
  }
}

/** 405 MethodNotAllowed. */
export class MethodNotAllowedError extends ApiError {
  override name = 'MethodNotAllowedError';
  constructor(message: string, details?: StatusDetails) {
    super(405, 'MethodNotAllowed', message, details);
  }
}

/** 406 NotAcceptable. */
export class NotAcceptableError extends ApiError {
  override name = 'NotAcceptableError';
  constructor(message: string) {
    super(406, 'NotAcceptable', message);
  }
}

/** 415 UnsupportedMediaType. */
export class UnsupportedMediaTypeError extends ApiError {
  override name = 'UnsupportedMediaTypeError';
  constructor(message: string) {
    super(415, 'UnsupportedMediaType', message);
  }
}

/** 410 Expired: a watch or list asked for a resourceVersion older than the change log keeps. */
export class GoneError extends ApiError {
  override name = 'GoneError';
  constructor(message = 'too old resource version') {
    super(410, 'Expired', message);
  }
}

/** 500 InternalError. */
export class InternalError extends ApiError {
  override name = 'InternalError';
  constructor(message: string, options?: ErrorOptions) {
    super(
      500,
      'InternalError',
      `Internal error occurred: ${message}`,
      { causes: [{ message }] },
      options,
    );
  }
}

/** 504 Timeout. */
export class TimeoutError extends ApiError {
  override name = 'TimeoutError';
  constructor(message: string) {
    super(504, 'Timeout', message);
  }
}

/** Rebuilds the matching error class from a Status body (used by client/). */
export function errorFromStatus(status: Status): ApiError {
  return new ApiError(
    status.code,
    status.reason ?? 'Unknown',
    status.message ?? '',
    status.details,
  );
}

const reasonOf = (err: unknown): string | undefined =>
  err instanceof ApiError ? err.reason : undefined;

export const isNotFound = (err: unknown): boolean => reasonOf(err) === 'NotFound';
export const isAlreadyExists = (err: unknown): boolean => reasonOf(err) === 'AlreadyExists';
export const isConflict = (err: unknown): boolean => reasonOf(err) === 'Conflict';
export const isInvalid = (err: unknown): boolean => reasonOf(err) === 'Invalid';
export const isGone = (err: unknown): boolean =>
  reasonOf(err) === 'Expired' || reasonOf(err) === 'Gone';

/**
 * The one place where any thrown error becomes a Kubernetes `Status` response. Known API errors
 * keep their code and reason; anything else is a bug and becomes a logged 500.
 */
import { ApiError, InternalError } from '../k8s/errors.ts';
import type { Logger } from '../lib/log.ts';
import { jsonResponse, type ApiResponse } from './http-types.ts';

/** Turns an error into its Status response. */
export function errorResponse(
  err: unknown,
  log: Logger,
  context: Record<string, unknown> = {},
): ApiResponse {
  if (err instanceof ApiError) return jsonResponse(err.code, err.toStatus());
  const message = err instanceof Error ? err.message : String(err);
  log.error('Unhandled error while serving a request', {
    ...context,
    err: message,
    stack: err instanceof Error ? err.stack : undefined,
  });
  return jsonResponse(500, new InternalError(message).toStatus());
}

/** The Status kube-apiserver sends for a successful delete of a non-graceful object. */
export function successStatus(details: {
  name: string;
  group: string;
  kind: string;
  uid: string;
}): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details,
  };
}

/**
 * Refusing a streaming request before the upgrade: a plain HTTP response with a JSON `Status`
 * body, which kubectl prints (`Error from server (BadRequest): container not found ("nope")`).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';

/** The subset of `metav1.Status` written here. */
export interface UpgradeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: object;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: object;
}

function hasToStatus(err: unknown): err is { toStatus(): UpgradeStatus } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { toStatus?: unknown }).toStatus === 'function'
  );
}

/** Builds the Status for an error: API errors keep theirs, anything else is a 500. */
export function upgradeErrorStatus(err: unknown): UpgradeStatus {
  if (hasToStatus(err)) return err.toStatus();
  const message = err instanceof Error ? err.message : String(err);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'InternalError',
    code: 500,
  };
}

/** Answers an upgrade request with a plain HTTP error carrying a Status, then closes the socket. */
export function rejectUpgrade(socket: Duplex, err: unknown): void {
  const status = upgradeErrorStatus(err);
  const body = JSON.stringify(status);
  const text = http.STATUS_CODES[status.code] ?? 'Error';
  const head = [
    `HTTP/1.1 ${status.code} ${text}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  socket.on('error', () => undefined);
  if (socket.destroyed || !socket.writable) return;
  socket.end(head + body);
}

/**
 * Answers an upgrade request with a plain-text error, as the kubelet does when it cannot find the
 * container: kubectl's SPDY client prints `unable to upgrade connection: <text>`.
 */
export function rejectUpgradeText(socket: Duplex, code: number, text: string): void {
  const head = [
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  socket.on('error', () => undefined);
  if (socket.destroyed || !socket.writable) return;
  socket.end(head + text);
}

/**
 * What port-forward needs from the caller, and the error text upstream sends when the pod's
 * port cannot be reached.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from '../../lib/log.ts';

/** Options of the port-forward handlers. */
export interface PortForwardHandlerOptions {
  /** The `ports=` query values (required by the WebSocket channel protocol, else unused). */
  ports?: number[] | undefined;
  /** Opens a TCP connection to `port` inside the pod. */
  dial: (port: number) => Promise<Duplex>;
  podName: string;
  podUid: string;
  log: Logger;
}

/** Parses the `ports` query parameters (repeated or comma-separated) of a port-forward URL. */
export function parsePortForwardPorts(url: string): number[] | undefined {
  const q = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const raw = q.getAll('ports').flatMap((p) => p.split(','));
  if (raw.length === 0) return undefined;
  return raw.map((p) => Number(p.trim()));
}

/** True for a TCP port number (1–65535). */
export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT') return 'connection timed out';
  if (code === 'EHOSTUNREACH') return 'no route to host';
  return err instanceof Error ? err.message : String(err);
}

/** The message written to the error stream when dialing the pod's port failed. */
export function dialErrorMessage(
  options: PortForwardHandlerOptions,
  port: number,
  err: unknown,
): string {
  return (
    `error forwarding port ${port} to pod ${options.podName}, uid ${options.podUid}: ` +
    `failed to connect to localhost:${port} inside namespace "${options.podUid}": ${describe(err)}`
  );
}

/**
 * Public entry points of the streaming layer: tell which upgrade a request asks for, and serve
 * exec/attach and port-forward on it (WebSocket channel protocol, plain SPDY/3.1, or SPDY over
 * the WebSocket tunnel). Routing, pod lookup and validation stay with the caller.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ChannelSocket,
  channelProtocolInfo,
  chooseProtocol,
  execChannelProtocols,
} from './channel-protocol.ts';
import { parseExecRequest, type ExecHandlerOptions } from './exec-request.ts';
import { serveExecWebSocket } from './exec-websocket.ts';
import { rejectUpgrade } from './reject-upgrade.ts';
import { offeredStreamProtocols } from './spdy/spdy-upgrade.ts';
import { acceptWebSocket, offeredWebSocketProtocols } from './ws-upgrade.ts';

/** Which upgrade a request asks for, with the protocols it offers (client order). */
export type UpgradeKind =
  | { kind: 'websocket'; protocols: string[] }
  | { kind: 'spdy'; protocols: string[] }
  | { kind: 'unknown'; upgrade: string };

/** Classifies an upgrade request by its `Upgrade` header. */
export function detectUpgrade(req: http.IncomingMessage): UpgradeKind {
  const upgrade = (req.headers.upgrade ?? '').trim();
  const lower = upgrade.toLowerCase();
  if (lower === 'websocket')
    return { kind: 'websocket', protocols: offeredWebSocketProtocols(req) };
  if (lower.startsWith('spdy/3')) return { kind: 'spdy', protocols: offeredStreamProtocols(req) };
  return { kind: 'unknown', upgrade };
}

/** Serves `kubectl exec`/`attach` on an upgrade request; the handler owns the socket. */
export function handleExecUpgrade(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: ExecHandlerOptions,
): void {
  const request = options.request ?? parseExecRequest(req.url ?? '/');
  const kind = detectUpgrade(req);
  if (kind.kind === 'websocket') {
    acceptWebSocket(req, socket, head, (offered) => chooseProtocol(offered, execChannelProtocols))
      .then(({ ws, protocol }) =>
        serveExecWebSocket(new ChannelSocket(ws, channelProtocolInfo(protocol)), request, options),
      )
      .catch((err: unknown) => {
        options.log.warn('Exec over WebSocket failed', { err });
        socket.destroy();
      });
    return;
  }
  rejectUpgrade(socket, badRequest(`unsupported upgrade ${JSON.stringify(req.headers.upgrade)}`));
}

function badRequest(message: string): { toStatus(): ReturnType<typeof statusOf> } {
  return { toStatus: () => statusOf(400, 'BadRequest', message) };
}

function statusOf(code: number, reason: string, message: string) {
  return {
    kind: 'Status' as const,
    apiVersion: 'v1' as const,
    metadata: {},
    status: 'Failure' as const,
    message,
    reason,
    code,
  };
}

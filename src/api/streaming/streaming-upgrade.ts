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
  portForwardChannelProtocols,
} from './channel-protocol.ts';
import { parseExecRequest, type ExecHandlerOptions } from './exec-request.ts';
import { serveExecWebSocket } from './exec-websocket.ts';
import { SpdyExecServer } from './exec-spdy.ts';
import { portForwardStreamHandler } from './port-forward-spdy.ts';
import {
  isValidPort,
  parsePortForwardPorts,
  type PortForwardHandlerOptions,
} from './port-forward-request.ts';
import { servePortForwardWebSocket } from './port-forward-websocket.ts';
import { rejectUpgrade } from './reject-upgrade.ts';
import {
  acceptSpdyUpgrade,
  offeredStreamProtocols,
  runSessionOnWebSocket,
  spdyTunnelProtocol,
} from './spdy/spdy-upgrade.ts';
import { acceptWebSocket, offeredWebSocketProtocols } from './ws-upgrade.ts';

/** Helpers the caller needs around the entry points, re-exported for a single import. */
export { rejectUpgrade, rejectUpgradeText, upgradeErrorStatus } from './reject-upgrade.ts';
/** Request parsing and handler options of exec/attach. */
export { parseExecRequest, type ExecHandlerOptions, type ExecRequest } from './exec-request.ts';
/** Request parsing and handler options of port-forward. */
export { parsePortForwardPorts, type PortForwardHandlerOptions } from './port-forward-request.ts';

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
  if (!request.stdin && !request.stdout && !request.stderr) {
    rejectUpgrade(socket, badRequest('you must specify at least 1 of stdin, stdout, stderr'));
    return;
  }
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
  if (kind.kind === 'spdy') {
    const offered = kind.protocols;
    const protocol = offered.length ? chooseProtocol(offered, spdyExecProtocols) : undefined;
    if (offered.length && protocol === undefined) {
      rejectUpgrade(
        socket,
        badRequest(`unable to upgrade: unsupported protocols ${offered.join(', ')}`),
      );
      return;
    }
    const server = new SpdyExecServer(request, channelProtocolInfo(protocol).version, options);
    server.attach(
      acceptSpdyUpgrade(socket, head, protocol, {
        log: options.log,
        onStream: server.onStream,
        onClose: server.onClose,
      }),
    );
    return;
  }
  rejectUpgrade(socket, badRequest(`unsupported upgrade ${JSON.stringify(req.headers.upgrade)}`));
}

/** Exec protocols accepted over plain SPDY (v5 behaves as v4 there). */
const spdyExecProtocols = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
];

/** The SPDY port-forward protocol name. */
const portForwardProtocol = 'portforward.k8s.io';

/**
 * Serves `kubectl port-forward` (SPDY, plain or tunnelled over WebSocket) and the WebSocket
 * channel protocol of other clients; the handler owns the socket.
 */
export function handlePortForwardUpgrade(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: PortForwardHandlerOptions,
): void {
  const kind = detectUpgrade(req);
  const log = options.log;
  if (kind.kind === 'spdy') {
    if (kind.protocols.length && !kind.protocols.includes(portForwardProtocol)) {
      rejectUpgrade(
        socket,
        badRequest(`unable to upgrade: unsupported protocols ${kind.protocols.join(', ')}`),
      );
      return;
    }
    acceptSpdyUpgrade(socket, head, portForwardProtocol, {
      log,
      onStream: portForwardStreamHandler(options),
    });
    return;
  }
  if (kind.kind !== 'websocket') {
    rejectUpgrade(socket, badRequest(`unsupported upgrade ${JSON.stringify(req.headers.upgrade)}`));
    return;
  }
  if (kind.protocols.includes(spdyTunnelProtocol)) {
    acceptWebSocket(req, socket, head, () => spdyTunnelProtocol)
      .then(({ ws }) => {
        runSessionOnWebSocket(ws, { log, onStream: portForwardStreamHandler(options) });
      })
      .catch((err: unknown) => {
        log.warn('Port-forward tunnel handshake failed', { err });
        socket.destroy();
      });
    return;
  }
  const ports = options.ports ?? parsePortForwardPorts(req.url ?? '/');
  if (!ports?.length || !ports.every(isValidPort)) {
    rejectUpgrade(socket, badRequest('query parameter "port" is required'));
    return;
  }
  acceptWebSocket(req, socket, head, (offered) =>
    chooseProtocol(offered, portForwardChannelProtocols),
  )
    .then(({ ws, protocol }) =>
      servePortForwardWebSocket(
        new ChannelSocket(ws, channelProtocolInfo(protocol)),
        ports,
        options,
      ),
    )
    .catch((err: unknown) => {
      log.warn('Port-forward over WebSocket failed', { err });
      socket.destroy();
    });
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

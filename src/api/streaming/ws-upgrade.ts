/**
 * WebSocket handshakes for the streaming endpoints, on top of the `ws` package. Subprotocol
 * choice is ours; names that are not RFC 7230 tokens (`SPDY/3.1+portforward.k8s.io`), which `ws`
 * refuses, are swapped for a placeholder during the handshake and restored in the reply.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

const placeholder = 'podbay-subprotocol';

/** The subprotocols a WebSocket upgrade request offers, in the client's order. */
export function offeredWebSocketProtocols(req: http.IncomingMessage): string[] {
  const raw = req.headersDistinct['sec-websocket-protocol'] ?? [];
  return raw
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The accepted WebSocket and the subprotocol agreed (undefined when none). */
export interface AcceptedWebSocket {
  ws: WebSocket;
  protocol: string | undefined;
}

/**
 * Completes a WebSocket handshake; `choose` picks the subprotocol from the offered list (or
 * none). Resolves once the 101 was written.
 */
export function acceptWebSocket(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  choose: (offered: string[]) => string | undefined,
): Promise<AcceptedWebSocket> {
  const protocol = choose(offeredWebSocketProtocols(req));
  const original = req.headers['sec-websocket-protocol'];
  if (protocol === undefined) delete req.headers['sec-websocket-protocol'];
  else req.headers['sec-websocket-protocol'] = placeholder;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: () => (protocol === undefined ? false : placeholder),
  });
  wss.on('headers', (lines: string[]) => {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (protocol !== undefined && /^sec-websocket-protocol:/i.test(line))
        lines[i] = `Sec-WebSocket-Protocol: ${protocol}`;
    }
  });
  return new Promise((resolve, reject) => {
    const gone = (): void => reject(new Error('WebSocket handshake failed'));
    socket.once('error', gone);
    socket.once('close', gone);
    try {
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('error', gone);
        socket.off('close', gone);
        if (original === undefined) delete req.headers['sec-websocket-protocol'];
        else req.headers['sec-websocket-protocol'] = original;
        wss.close();
        resolve({ ws, protocol });
      });
    } catch (err: unknown) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

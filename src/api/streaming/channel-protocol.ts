/**
 * The Kubernetes WebSocket channel protocols (`v5.channel.k8s.io` … `channel.k8s.io`, and the
 * `base64` variants): every message carries one channel byte then its payload; base64 variants
 * use text messages with the channel as an ASCII digit and the payload base64-encoded.
 */
import type { WebSocket } from 'ws';
import { toBuffer } from './spdy/spdy-upgrade.ts';

/** Channel numbers of exec/attach. */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** What a channel protocol version implies. */
export interface ChannelProtocolInfo {
  /** The subprotocol name as negotiated ('' when the client offered none). */
  name: string;
  /** 1 (`channel.k8s.io`) to 5. */
  version: number;
  base64: boolean;
}

/** Exec/attach subprotocols we accept, most preferred first. */
export const execChannelProtocols = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];

/** Port-forward subprotocols we accept over the channel protocol. */
export const portForwardChannelProtocols = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** Picks the first offered protocol we support (the client's order decides, as upstream). */
export function chooseProtocol(offered: string[], supported: string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/** Describes a negotiated subprotocol. */
export function channelProtocolInfo(name: string | undefined): ChannelProtocolInfo {
  const n = name ?? '';
  const m = /^v(\d+)\./.exec(n);
  return { name: n, version: m ? Number(m[1]) : 1, base64: n.includes('base64') };
}

/** Sends and receives channel messages on an accepted WebSocket. */
export class ChannelSocket {
  constructor(
    readonly ws: WebSocket,
    readonly protocol: ChannelProtocolInfo,
  ) {}

  /** Sends one message on `channel`; resolves once written (or dropped on a closed socket). */
  send(channel: number, payload: Buffer): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => resolve();
      if (this.protocol.base64)
        this.ws.send(String(channel) + payload.toString('base64'), { binary: false }, done);
      else this.ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true }, done);
    });
  }

  /** Registers the handler for incoming channel messages (empty messages are dropped). */
  onMessage(handler: (channel: number, payload: Buffer) => void): void {
    this.ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buf = toBuffer(data);
      if (buf.length === 0) return;
      if (this.protocol.base64 && !isBinary) {
        const text = buf.toString('latin1');
        const channel = text.charCodeAt(0) - 48;
        handler(channel, Buffer.from(text.slice(1), 'base64'));
        return;
      }
      handler(buf[0] ?? 0, buf.subarray(1));
    });
  }

  /** Closes the WebSocket normally. */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING)
      this.ws.close(1000);
  }
}

/**
 * An in-memory PodNetwork for tests: hands out 10.244.x.y addresses per sandbox (lowest free,
 * idempotent, freed by tearDown), reports a fixed host IP, and dials pods through servers the
 * test registers per (IP, port) — anything unregistered fails with ECONNREFUSED. Every call is
 * recorded, and a one-shot error can be injected per operation.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import { dialTcp } from '../linux/dial-tcp.ts';
import type { PodNetwork, PodNetworkStatus, PodNetworkTarget } from '../pod-network.ts';

/** One recorded call. */
export interface FakePodNetworkCall {
  op: 'setUp' | 'tearDown' | 'dial';
  sandboxId: string;
  /** For dial: the address and port dialled. */
  to?: string;
}

/** Options for {@link FakePodNetwork}. */
export interface FakePodNetworkOptions {
  /** Default `192.168.0.10`. */
  hostIP?: string;
}

const base = (10 << 24) | (244 << 16); // 10.244.0.0/16

const toIp = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

function refused(address: string, port: number): Error {
  return Object.assign(new Error(`connect ECONNREFUSED ${address}:${String(port)}`), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address,
    port,
  });
}

/** The fake pod network. */
export class FakePodNetwork implements PodNetwork {
  readonly calls: FakePodNetworkCall[] = [];
  private readonly host: string;
  private readonly ips = new Map<string, string>();
  private readonly servers = new Map<string, Server>();
  private readonly errors = new Map<FakePodNetworkCall['op'], Error>();

  constructor(opts: FakePodNetworkOptions = {}) {
    this.host = opts.hostIP ?? '192.168.0.10';
  }

  /** Makes the next call of `op` reject with `error`. */
  failNext(op: FakePodNetworkCall['op'], error: Error): void {
    this.errors.set(op, error);
  }

  /** Routes dials of `ip:port` to `server`, which must be listening (on any local port). */
  register(ip: string, port: number, server: Server): void {
    this.servers.set(`${ip}:${String(port)}`, server);
  }

  /** Stops routing `ip:port`. */
  unregister(ip: string, port: number): void {
    this.servers.delete(`${ip}:${String(port)}`);
  }

  /** The IP a sandbox holds, if any. */
  podIPFor(sandboxId: string): string | undefined {
    return this.ips.get(sandboxId);
  }

  setUp(target: PodNetworkTarget, signal?: AbortSignal): Promise<PodNetworkStatus> {
    this.calls.push({ op: 'setUp', sandboxId: target.sandboxId });
    return this.run('setUp', () => {
      signal?.throwIfAborted();
      if (target.netnsPath === undefined) return { ips: [this.host] };
      return { ips: [this.allocate(target.sandboxId)] };
    });
  }

  tearDown(target: PodNetworkTarget): Promise<void> {
    this.calls.push({ op: 'tearDown', sandboxId: target.sandboxId });
    return this.run('tearDown', () => {
      this.ips.delete(target.sandboxId);
    });
  }

  hostIP(): string {
    return this.host;
  }

  /**
   * Dials `host`, else the pod IP (the host IP for hostNetwork pods), through the registered
   * server for that address and port.
   */
  async dial(
    target: PodNetworkTarget,
    port: number,
    host?: string,
    signal?: AbortSignal,
  ): Promise<Socket> {
    const to =
      host ?? (target.netnsPath === undefined ? this.host : this.ips.get(target.sandboxId));
    this.calls.push({
      op: 'dial',
      sandboxId: target.sandboxId,
      to: `${to ?? '?'}:${String(port)}`,
    });
    const injected = this.errors.get('dial');
    if (injected !== undefined) {
      this.errors.delete('dial');
      throw injected;
    }
    signal?.throwIfAborted();
    const server = to === undefined ? undefined : this.servers.get(`${to}:${String(port)}`);
    const addr = server?.address() as AddressInfo | null | undefined;
    if (to === undefined || server === undefined || !server.listening || !addr) {
      throw refused(to ?? '0.0.0.0', port);
    }
    return dialTcp(addr.family === 'IPv6' ? '::1' : '127.0.0.1', addr.port, signal);
  }

  private allocate(sandboxId: string): string {
    const held = this.ips.get(sandboxId);
    if (held !== undefined) return held;
    const used = new Set(this.ips.values());
    for (let i = 2; i < 65535; i++) {
      const ip = toIp(base + i);
      if (!used.has(ip)) {
        this.ips.set(sandboxId, ip);
        return ip;
      }
    }
    throw new Error('no free address in 10.244.0.0/16');
  }

  private async run<T>(op: FakePodNetworkCall['op'], fn: () => T): Promise<T> {
    await Promise.resolve(); // settle asynchronously, as the real network does
    const injected = this.errors.get(op);
    if (injected !== undefined) {
      this.errors.delete(op);
      throw injected;
    }
    return fn();
  }
}

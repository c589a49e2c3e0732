/**
 * PodNetwork on Linux: one bridge with the pod CIDR's first address as gateway, one veth per
 * pod (host end `pb<hash>` on the bridge with hairpin, peer `eth0` in the pod's netns), IPs
 * from a file-backed {@link Ipam}, and a project-owned nftables table for NAT and forwarding
 * (see nft-ruleset.ts). Every step is idempotent, so a restarted daemon can re-run it.
 *
 * Default pod CIDR: 10.244.0.0/16 (the common Kubernetes pod range; unlike 10.88.0.0/16 it does
 * not collide with podman/netavark's default bridge).
 */
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.ts';
import type { PodNetwork, PodNetworkStatus, PodNetworkTarget } from '../pod-network.ts';
import { dialTcp } from './dial-tcp.ts';
import { primaryHostIP } from './host-ip.ts';
import {
  assertInterfaceName,
  bridgeBatch,
  hostSideBatch,
  ipInNetns,
  plugBatch,
  podSideBatch,
  vethNameFor,
} from './ip-commands.ts';
import { Ipam } from './ipam.ts';
import { assertTableName, podNetworkRuleset, type ServiceRules } from './nft-ruleset.ts';
import { runTool, toolFailedWith } from './run-tool.ts';

/** Options for {@link LinuxPodNetwork}. */
export interface LinuxPodNetworkOptions {
  /** Bridge name; default `podbay0`. */
  bridge?: string;
  /** Pod CIDR; default `10.244.0.0/16`. */
  cidr?: string;
  /** Directory for persistent state (`ipam.json`). */
  stateDir: string;
  /** nftables table (family ip); default `podbay`. */
  nftTable?: string;
  log?: Logger;
}

const gone = /Cannot find device|does not exist|No such file or directory/;

/** The iproute2 + nftables pod network. */
export class LinuxPodNetwork implements PodNetwork {
  readonly bridge: string;
  readonly cidr: string;
  readonly nftTable: string;
  private readonly ipam: Ipam;
  private readonly log: Logger | undefined;
  /** Serialises Ipam calls (its load/save are not safe to interleave). */
  private ipamQueue: Promise<unknown> = Promise.resolve();
  /** The last {@link hostIP} answer and when it was looked up. */
  #hostIP: { ip: string; at: number } | undefined;

  constructor(opts: LinuxPodNetworkOptions) {
    this.bridge = opts.bridge ?? 'podbay0';
    this.cidr = opts.cidr ?? '10.244.0.0/16';
    this.nftTable = opts.nftTable ?? 'podbay';
    assertInterfaceName(this.bridge);
    assertTableName(this.nftTable);
    this.ipam = new Ipam(this.cidr, join(opts.stateDir, 'ipam.json'));
    this.log = opts.log;
  }

  /** The bridge address every pod routes through. */
  get gateway(): string {
    return this.ipam.gateway;
  }

  /**
   * Creates (or re-applies) the bridge, enables forwarding and loads the nftables table.
   * `services` is passed to the ruleset (the Services hook; empty by default).
   */
  async init(services?: ServiceRules): Promise<void> {
    try {
      await runTool('ip', ['link', 'add', 'name', this.bridge, 'type', 'bridge']);
    } catch (e) {
      if (!toolFailedWith(e, /File exists/)) throw e;
    }
    const batch = bridgeBatch({
      bridge: this.bridge,
      gateway: this.gateway,
      prefix: this.ipam.prefix,
    });
    await runTool('ip', ['-batch', '-'], { input: batch });
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
    const ruleset = podNetworkRuleset({
      table: this.nftTable,
      cidr: this.cidr,
      ...(services !== undefined ? { services } : {}),
    });
    await runTool('nft', ['-f', '-'], { input: ruleset });
    this.log?.info('Pod network ready', { bridge: this.bridge, cidr: this.cidr });
  }

  /**
   * Removes the pod veths still on the bridge, the bridge and the nftables table. Leaves the
   * IPAM file (in the caller's stateDir) and `ip_forward` (other software may rely on it).
   */
  async destroy(): Promise<void> {
    for (const veth of await this.bridgePorts()) await this.deleteLink(veth);
    await this.deleteLink(this.bridge);
    try {
      await runTool('nft', ['delete', 'table', 'ip', this.nftTable]);
    } catch (e) {
      if (!toolFailedWith(e, gone)) throw e;
    }
  }

  async setUp(target: PodNetworkTarget, signal?: AbortSignal): Promise<PodNetworkStatus> {
    if (target.netnsPath === undefined) return { ips: [this.hostIP()] };
    signal?.throwIfAborted();
    const started = performance.now();
    const held = await this.podIPFor(target.sandboxId);
    const ip = held ?? (await this.withIpam(() => this.ipam.allocate(target.sandboxId)));
    try {
      try {
        await this.plumb(target.sandboxId, target.netnsPath, ip, signal);
      } catch (e) {
        // Someone removed the bridge (as the CNI bridge plugin does, make it again and retry).
        if (!toolFailedWith(e, /Device does not exist/)) throw e;
        this.log?.warn('Pod network bridge was missing; recreating it', { bridge: this.bridge });
        await this.init();
        await this.plumb(target.sandboxId, target.netnsPath, ip, signal);
      }
    } catch (e) {
      // A first setUp that failed leaves nothing behind; a repeat keeps what the pod has.
      if (held === undefined) {
        await this.tearDown(target).catch((err: unknown) =>
          this.log?.warn('Pod network rollback failed', { sandboxId: target.sandboxId, err }),
        );
      }
      throw e;
    }
    this.log?.debug('Pod network set up', {
      sandboxId: target.sandboxId,
      ip,
      ms: Math.round(performance.now() - started),
    });
    return { ips: [ip] };
  }

  /** Creates (or re-plugs) the veth pair and configures the pod's side. */
  private async plumb(
    sandboxId: string,
    netnsPath: string,
    ip: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const veth = vethNameFor(sandboxId);
    const inside = ipInNetns(netnsPath);
    const runInside = (args: string[], input?: string): Promise<string> =>
      runTool(inside.cmd, [...inside.args, ...args], {
        ...(input !== undefined ? { input } : {}),
        ...(signal !== undefined ? { signal } : {}),
      });
    try {
      await runTool('ip', ['-batch', '-'], {
        input: hostSideBatch({ veth, bridge: this.bridge, netnsPath }),
        ...(signal !== undefined ? { signal } : {}),
      });
    } catch (e) {
      if (!toolFailedWith(e, /File exists/)) throw e;
      // A repeat setUp: keep the pair if its peer is in this netns, else rebuild it.
      const peerHere = await runInside(['link', 'show', 'dev', 'eth0']).then(
        () => true,
        () => false,
      );
      if (!peerHere) await this.deleteLink(veth);
      const input = peerHere
        ? plugBatch({ veth, bridge: this.bridge })
        : hostSideBatch({ veth, bridge: this.bridge, netnsPath });
      await runTool('ip', ['-batch', '-'], { input, ...(signal !== undefined ? { signal } : {}) });
    }
    await runInside(
      ['-batch', '-'],
      podSideBatch({ ip, prefix: this.ipam.prefix, gateway: this.gateway }),
    );
  }

  async tearDown(target: PodNetworkTarget): Promise<void> {
    if (target.netnsPath === undefined) return;
    await this.deleteLink(vethNameFor(target.sandboxId));
    await this.withIpam(() => this.ipam.release(target.sandboxId));
    this.log?.debug('Pod network torn down', { sandboxId: target.sandboxId });
  }

  /**
   * The node's address, looked up at most every 10 s (as often as the kubelet refreshes the
   * node's addresses): listing the host's interfaces costs more with every pod's veth, and
   * every status write and container start asks.
   */
  hostIP(): string {
    const now = Date.now();
    if (!this.#hostIP || now - this.#hostIP.at > 10_000) {
      const ip = primaryHostIP((name) => name === this.bridge || /^pb[0-9a-f]{10}$/.test(name));
      this.#hostIP = { ip, at: now };
    }
    return this.#hostIP.ip;
  }

  async dial(
    target: PodNetworkTarget,
    port: number,
    host?: string,
    signal?: AbortSignal,
  ): Promise<Socket> {
    let to = host;
    if (to === undefined) {
      if (target.netnsPath === undefined) to = '127.0.0.1';
      else {
        const ip = await this.podIPFor(target.sandboxId);
        if (ip === undefined) {
          throw Object.assign(new Error(`no pod IP for sandbox ${target.sandboxId}`), {
            code: 'EHOSTUNREACH',
          });
        }
        to = ip;
      }
    }
    return dialTcp(to, port, signal);
  }

  /** The IP held by a sandbox, if any. */
  async podIPFor(sandboxId: string): Promise<string | undefined> {
    const all = await this.withIpam(() => this.ipam.list());
    return all.get(sandboxId);
  }

  /**
   * Releases addresses and deletes veths of sandboxes not in `keep` (after a daemon restart,
   * for sandboxes that vanished while it was down). Returns the released sandbox ids.
   */
  async cleanupLeftovers(keep: ReadonlySet<string>): Promise<string[]> {
    const all = await this.withIpam(() => this.ipam.list());
    const stale = [...all.keys()].filter((id) => !keep.has(id));
    for (const id of stale) {
      await this.deleteLink(vethNameFor(id));
      await this.withIpam(() => this.ipam.release(id));
    }
    return stale;
  }

  private withIpam<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.ipamQueue.then(fn, fn);
    this.ipamQueue = next.catch(() => undefined);
    return next;
  }

  private async bridgePorts(): Promise<string[]> {
    try {
      const out = await runTool('ip', ['-j', 'link', 'show', 'master', this.bridge]);
      return (JSON.parse(out || '[]') as { ifname: string }[]).map((l) => l.ifname);
    } catch (e) {
      if (toolFailedWith(e, gone)) return [];
      throw e;
    }
  }

  private async deleteLink(name: string): Promise<void> {
    try {
      await runTool('ip', ['link', 'del', 'dev', name]);
    } catch (e) {
      if (!toolFailedWith(e, gone)) throw e;
    }
  }
}

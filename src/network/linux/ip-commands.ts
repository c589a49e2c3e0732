/**
 * The iproute2 command text for the pod network: names derived from sandbox ids, and the
 * `ip -batch` scripts for the bridge, the host end of a pod's veth, and the pod's inside
 * (batch lines cannot take `-n`, so the inside is a second call run in the pod's netns).
 */
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';

/** Host-side veth name for a sandbox: `pb` + 10 hex digits of sha256(sandboxId), 12 chars. */
export function vethNameFor(sandboxId: string): string {
  return 'pb' + createHash('sha256').update(sandboxId).digest('hex').slice(0, 10);
}

/** Interface names the kernel accepts: 1–15 chars, no slash, colon or whitespace. */
export function assertInterfaceName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
    throw new Error(`invalid interface name ${JSON.stringify(name)} (1-15 of [A-Za-z0-9_.-])`);
  }
}

/**
 * The argv prefix that runs `ip` inside the netns at `netnsPath`: `ip -n <name>` for
 * `/run/netns/<name>` (what `ip netns add` makes), otherwise `nsenter --net=<path> ip`.
 */
export function ipInNetns(netnsPath: string): { cmd: string; args: string[] } {
  if (dirname(netnsPath) === '/run/netns') {
    return { cmd: 'ip', args: ['-n', basename(netnsPath)] };
  }
  return { cmd: 'nsenter', args: [`--net=${netnsPath}`, 'ip'] };
}

/** Bridge settings applied on every init (the bridge itself is added separately). */
export function bridgeBatch(o: { bridge: string; gateway: string; prefix: number }): string {
  return [
    `addr replace ${o.gateway}/${String(o.prefix)} dev ${o.bridge}`,
    `link set ${o.bridge} type bridge nf_call_iptables 1`,
    `link set ${o.bridge} up`,
    '',
  ].join('\n');
}

/** Creates the veth pair (peer `eth0` moved into the netns) and plugs the host end in. */
export function hostSideBatch(o: { veth: string; bridge: string; netnsPath: string }): string {
  return [
    `link add ${o.veth} type veth peer name eth0 netns ${o.netnsPath}`,
    ...plugBatchLines(o),
    '',
  ].join('\n');
}

/** Re-applies master, hairpin and up on an existing host end (idempotent). */
export function plugBatch(o: { veth: string; bridge: string }): string {
  return [...plugBatchLines(o), ''].join('\n');
}

function plugBatchLines(o: { veth: string; bridge: string }): string[] {
  return [
    `link set ${o.veth} master ${o.bridge}`,
    `link set ${o.veth} type bridge_slave hairpin on`,
    `link set ${o.veth} up`,
  ];
}

/** Inside the pod: loopback and eth0 up, the address, the default route (all idempotent). */
export function podSideBatch(o: { ip: string; prefix: number; gateway: string }): string {
  return [
    'link set lo up',
    `addr replace ${o.ip}/${String(o.prefix)} dev eth0`,
    'link set eth0 up',
    `route replace default via ${o.gateway} dev eth0`,
    '',
  ].join('\n');
}

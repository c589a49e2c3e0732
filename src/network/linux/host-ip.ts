/** The node's primary IPv4 address, as pods and `status.hostIP` see it. */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/**
 * The first IPv4 address of a non-loopback interface not excluded by `isOurs` (the pod
 * bridge and veths); 127.0.0.1 when there is none.
 */
export function primaryHostIP(
  isOurs: (ifname: string) => boolean,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string {
  for (const [name, addrs] of Object.entries(interfaces)) {
    if (isOurs(name)) continue;
    const v4 = (addrs ?? []).find((a) => a.family === 'IPv4' && !a.internal);
    if (v4 !== undefined) return v4.address;
  }
  return '127.0.0.1';
}

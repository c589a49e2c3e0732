/**
 * The PodNetwork interface: gives a sandbox's network namespace its addresses and routes
 * (loopback up, a veth on the node bridge, an IP from the pod CIDR, default route, NAT), and
 * lets the kubelet dial into a pod for probes and port-forward. Implementations:
 * `network/linux/` (iproute2 + nftables) and `network/fake/`.
 */
import type { Socket } from 'node:net';

/** What the network needs to know about a sandbox. */
export interface PodNetworkTarget {
  sandboxId: string;
  podUid: string;
  podName: string;
  podNamespace: string;
  /** Network namespace path; undefined for hostNetwork pods. */
  netnsPath?: string;
}

/** Addresses assigned to a pod. */
export interface PodNetworkStatus {
  ips: string[];
}

export interface PodNetwork {
  /** Sets up the pod's interfaces; idempotent for the same sandbox. */
  setUp(target: PodNetworkTarget, signal?: AbortSignal): Promise<PodNetworkStatus>;
  /** Removes the pod's interfaces and releases its IP. Idempotent. */
  tearDown(target: PodNetworkTarget): Promise<void>;
  /** The node's own IP as seen by pods (status.hostIP). */
  hostIP(): string;
  /** Opens a TCP connection to `port` inside the pod (probes, port-forward). */
  dial(
    target: PodNetworkTarget,
    port: number,
    host?: string,
    signal?: AbortSignal,
  ): Promise<Socket>;
}

/** The Node object describing this machine, with real capacity and node info. */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../k8s/types/meta.ts';

/** Facts about the runtime the node reports. */
export interface NodeFacts {
  name: string;
  internalIP: string;
  containerRuntimeVersion: string;
  podCIDR?: string;
  ready: boolean;
  readyMessage: string;
}

function osImage(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function machineId(): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Builds the Node object (without server-filled metadata). */
export function buildNode(facts: NodeFacts, nowIso: string): KubeObject {
  const memKi = `${Math.floor(os.totalmem() / 1024)}Ki`;
  const cpus = String(os.cpus().length);
  const capacity = {
    cpu: cpus,
    memory: memKi,
    pods: '110',
    'ephemeral-storage': '100Gi',
    'hugepages-2Mi': '0',
  };
  const condition = (type: string, status: string, reason: string, message: string): object => ({
    type,
    status,
    lastHeartbeatTime: nowIso,
    lastTransitionTime: nowIso,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: facts.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': facts.name,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/control-plane': '',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: facts.podCIDR ? { podCIDR: facts.podCIDR, podCIDRs: [facts.podCIDR] } : {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
        ),
        condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        condition(
          'Ready',
          facts.ready ? 'True' : 'False',
          facts.ready ? 'KubeletReady' : 'KubeletNotReady',
          facts.readyMessage,
        ),
      ],
      addresses: [
        { type: 'InternalIP', address: facts.internalIP },
        { type: 'Hostname', address: facts.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: machineId(),
        systemUUID: machineId(),
        bootID: '',
        kernelVersion: os.release(),
        osImage: osImage(),
        containerRuntimeVersion: facts.containerRuntimeVersion,
        kubeletVersion: 'v1.33.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** The first non-internal IPv4 address of this machine, or 127.0.0.1. */
export function primaryIPv4(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

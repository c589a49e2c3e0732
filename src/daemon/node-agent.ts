/**
 * Wires the node agent: the local image store (with the registry puller), the runc + conmon
 * runtime, the Linux pod network, the volume manager and the Kubelet, plus the backend that
 * `kubectl exec/attach/port-forward` reach through the API. Only runs where it can (root, runc
 * and conmon present); elsewhere the daemon serves the API alone and says why.
 */
import { execFileSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { KubeClient } from '../client/kube-client.ts';
import type { Pod } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { Kubelet } from '../kubelet/kubelet.ts';
import { containerNameLabel, podUidLabel } from '../kubelet/labels.ts';
import { VolumeManager } from '../kubelet/volumes/volume-manager.ts';
import { LinuxPodNetwork } from '../network/linux/linux-pod-network.ts';
import { dialInNetns } from '../network/linux/netns-dial.ts';
import type { PodNetworkTarget } from '../network/pod-network.ts';
import { LocalImageStore } from '../runtime/images/local-image-store.ts';
import { ImageUsageTracker, startImageGc, trackImageUse } from '../runtime/images/image-gc.ts';
import { RegistryPuller } from '../runtime/images/registry/registry-puller.ts';
import type { RegistriesConfig } from '../runtime/images/registry/types.ts';
import { RuncRuntime } from '../runtime/runc/runc-runtime.ts';
import { collectDeadContainers } from '../runtime/housekeeping/dead-containers.ts';
import { rotateContainerLogs } from '../runtime/housekeeping/log-rotation.ts';
import type { PodStreamingBackend } from './pod-streaming.ts';
import { stopNetnsHelpers } from '../network/linux/netns-dial.ts';

/** Network settings of the node (tests use their own bridge and CIDR). */
export interface NodeNetworkOptions {
  bridge?: string;
  cidr?: string;
  nftTable?: string;
}

/** A running node agent. */
export interface NodeAgent {
  runtime: RuncRuntime;
  network: LinuxPodNetwork;
  images: LocalImageStore;
  volumes: VolumeManager;
  backend: PodStreamingBackend;
  done: Promise<void>;
  /** Kills and removes every pod's containers, volumes and network, and the bridge. */
  purge(): Promise<void>;
}

/** Why the node agent cannot run here, or undefined when it can. */
export function nodeAgentUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the node agent needs root';
  for (const bin of ['runc', 'conmon', 'ip', 'nft']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      return `${bin} is not installed (scripts/install-deps.sh installs it)`;
    }
  }
  return undefined;
}

/** Starts the node agent; resolves once the runtime has re-adopted what was running. */
export async function startNodeAgent(o: {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  dataDir: string;
  nodeName: string;
  network?: NodeNetworkOptions;
  /** Registry mirrors and per-host settings (k3s `registries.yaml` shape). */
  registries?: RegistriesConfig;
  signal: AbortSignal;
}): Promise<NodeAgent> {
  const log = o.log;
  const images = new LocalImageStore({ root: join(o.dataDir, 'images'), log });
  images.setPuller(new RegistryPuller(o.registries ? { registries: o.registries } : {}));
  // The kubelet's image GC (85 % / 80 % disk thresholds, least recently used first).
  const imageUse = new ImageUsageTracker(images.root);
  trackImageUse(images, imageUse);
  const imageGc = startImageGc(images, { usage: imageUse, log });
  const runtime = new RuncRuntime({ dataDir: o.dataDir, images, log });
  await runtime.init();
  const network = new LinuxPodNetwork({
    stateDir: join(o.dataDir, 'network'),
    log,
    ...(o.network?.bridge !== undefined ? { bridge: o.network.bridge } : {}),
    ...(o.network?.cidr !== undefined ? { cidr: o.network.cidr } : {}),
    ...(o.network?.nftTable !== undefined ? { nftTable: o.network.nftTable } : {}),
  });
  await network.init();
  const podsDir = join(o.dataDir, 'pods');
  const volumes = new VolumeManager({ client: o.client, podsDir, log });
  const targetOf = async (pod: Pod): Promise<PodNetworkTarget> => {
    const uid = pod.metadata.uid ?? '';
    const s = (await runtime.listPodSandboxes()).find(
      (x) => x.config.podUid === uid && x.state === 'ready',
    );
    if (!s) throw new Error(`pod ${pod.metadata.name ?? ''} has no running sandbox`);
    return {
      sandboxId: s.id,
      podUid: uid,
      podName: s.config.podName,
      podNamespace: s.config.podNamespace,
      ...(s.netnsPath !== undefined ? { netnsPath: s.netnsPath } : {}),
    };
  };
  const kubelet = new Kubelet({
    client: o.client,
    runtime,
    images,
    clock: o.clock,
    log,
    nodeName: o.nodeName,
    podLogsDir: join(o.dataDir, 'logs'),
    network,
    volumes,
    podsDir,
    memoryCapacity: totalmem(),
    dial: async (pod, port) => network.dial(await targetOf(pod), port),
  });
  const running = async (pod: Pod, container: string): Promise<string> => {
    const list = await runtime.listContainers({
      labels: { [podUidLabel]: pod.metadata.uid ?? '', [containerNameLabel]: container },
    });
    const c = list.filter((x) => x.state === 'running').sort((a, b) => b.attempt - a.attempt)[0];
    if (!c) throw new Error(`container ${container} is not running`);
    return c.id;
  };
  const backend: PodStreamingBackend = {
    exec: async (pod, container, cmd, options) =>
      runtime.exec(await running(pod, container), cmd, options),
    attach: async (pod, container, options) =>
      runtime.attach(await running(pod, container), options),
    // Port-forward connects to localhost inside the pod, as the kubelet does.
    dial: async (pod, port): Promise<Duplex> => {
      const t = await targetOf(pod);
      return t.netnsPath !== undefined ? dialInNetns(t.netnsPath, port) : network.dial(t, port);
    },
  };
  // The kubelet's container log manager and container GC, every 10 s.
  const housekeeping = setInterval(() => {
    void (async () => {
      await rotateContainerLogs(runtime);
      await collectDeadContainers(runtime, podUidLabel);
    })().catch((err: unknown) => log.warn('Container housekeeping failed', { err }));
  }, 10_000);
  housekeeping.unref();
  const done = kubelet.run(o.signal).finally(() => {
    clearInterval(housekeeping);
    imageGc.stop();
    runtime.close();
  });
  return {
    runtime,
    network,
    images,
    volumes,
    backend,
    done,
    purge: async () => {
      stopNetnsHelpers(); // they would keep a removed pod's network namespace alive a while
      const uids = new Set((await runtime.listPodSandboxes()).map((s) => s.config.podUid));
      for (const s of await runtime.listPodSandboxes())
        await network.tearDown({
          sandboxId: s.id,
          podUid: s.config.podUid,
          podName: s.config.podName,
          podNamespace: s.config.podNamespace,
          ...(s.netnsPath !== undefined ? { netnsPath: s.netnsPath } : {}),
        });
      await runtime.removeAll();
      for (const uid of uids) await volumes.tearDownPod(uid);
      await network.destroy();
    },
  };
}

/**
 * A VolumeManager over the in-process API server (all real resource definitions, in-memory
 * SQLite) and a temporary pods directory, for the volume tests. `close()` tears down every pod
 * it set up, checks that no mount is left under the directory, and removes it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiFixture, type ApiFixture } from '../../../api/testing/api-fixture.ts';
import { resourceDefs } from '../../../api/resources/index.ts';
import { KubeClient, resources, type ResourceRef } from '../../../client/kube-client.ts';
import { inProcessTransport } from '../../../daemon/in-process-transport.ts';
import type { KubeObject } from '../../../k8s/types/meta.ts';
import type { Pod, PodSpec } from '../../../k8s/types/pod.ts';
import { nullLogger } from '../../../lib/log.ts';
import { mountTable, unmountAllUnder } from '../mounts.ts';
import { VolumeManager, type VolumeManagerDeps } from '../volume-manager.ts';

export const isRoot = process.getuid?.() === 0;

export interface VolumeFixture {
  api: ApiFixture;
  client: KubeClient;
  podsDir: string;
  vm: VolumeManager;
  /** A pod object (not stored) with a fresh uid. */
  pod(spec: Partial<PodSpec>, name?: string): Pod;
  /** Stores a pod through the API (admission adds the service-account volume) and returns it. */
  createPod(spec: Partial<PodSpec>, name?: string): Promise<Pod>;
  configMap(
    name: string,
    data: Record<string, string>,
    binaryData?: Record<string, string>,
  ): Promise<void>;
  secret(name: string, stringData: Record<string, string>): Promise<void>;
  /** Moves the manager's clock past the window in which a fresh set-up is not redone. */
  later(): void;
  /** Mount points under the pods directory. */
  mounts(): Promise<{ mountPoint: string; fsType: string; superOptions: string }[]>;
  close(): Promise<void>;
}

export async function volumeFixture(deps: Partial<VolumeManagerDeps> = {}): Promise<VolumeFixture> {
  const api = await apiFixture(resourceDefs);
  const client = new KubeClient({ transport: inProcessTransport(api.api.handle) });
  const podsDir = await realpath(await mkdtemp(join(tmpdir(), 'podbay-volumes-')));
  let offset = 0;
  const vm = new VolumeManager({
    client,
    podsDir,
    log: nullLogger,
    nodeCapacity: { cpu: '2', memory: '1Gi' },
    now: () => Date.now() + offset,
    ...deps,
  });
  const uids = new Set<string>();
  const base = (spec: Partial<PodSpec>): PodSpec => ({
    containers: [{ name: 'app', image: 'busybox:1.36' }],
    ...spec,
  });
  const upsert = async (ref: ResourceRef, obj: KubeObject): Promise<void> => {
    const name = obj.metadata.name!;
    const old = await client.get(ref, 'default', name).catch(() => undefined);
    if (!old) await client.create(ref, 'default', obj);
    else {
      obj.metadata.resourceVersion = old.metadata.resourceVersion!;
      await client.update(ref, 'default', obj);
    }
  };
  const mounts = async (): Promise<Awaited<ReturnType<VolumeFixture['mounts']>>> =>
    (await mountTable()).filter((m) => m.mountPoint.startsWith(podsDir + '/'));
  return {
    api,
    client,
    podsDir,
    vm,
    pod: (spec, name = 'web') => {
      const uid = randomUUID();
      uids.add(uid);
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', uid, labels: { app: name } },
        spec: { nodeName: 'node1', serviceAccountName: 'default', ...base(spec) },
      };
    },
    createPod: async (spec, name = 'web') => {
      const p = await client.create<Pod>(resources.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: base(spec),
      });
      uids.add(p.metadata.uid!);
      return p;
    },
    configMap: (name, data, binaryData) =>
      upsert(resources.configMaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
        data,
        ...(binaryData ? { binaryData } : {}),
      }),
    secret: (name, stringData) =>
      upsert(resources.secrets, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name },
        stringData,
      }),
    later: () => {
      offset += 2000;
    },
    mounts,
    close: async () => {
      for (const uid of uids) await vm.tearDownPod(uid);
      const left = await mounts();
      if (left.length) await unmountAllUnder(podsDir);
      await rm(podsDir, { recursive: true, force: true });
      api.close();
      if (left.length)
        throw new Error(`mounts left behind: ${left.map((m) => m.mountPoint).join(', ')}`);
    },
  };
}

/**
 * What a fresh cluster has before anyone applies anything: the four system namespaces, this
 * machine's Node object, and the `kubernetes` Service. Idempotent: on every start it creates
 * what is missing and refreshes the Node's status.
 */
import { isAlreadyExists, isNotFound } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { resources, type KubeClient, type ResourceRef } from '../client/kube-client.ts';
import { buildNode, primaryIPv4 } from './node-object.ts';

/** Options for {@link bootstrapCluster}. */
export interface BootstrapOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  nodeName: string;
  containerRuntimeVersion?: string;
}

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensure(
  client: KubeClient,
  ref: ResourceRef,
  namespace: string,
  obj: KubeObject,
): Promise<void> {
  try {
    await client.create(ref, namespace, obj, { fieldManager: 'podbay' });
  } catch (err: unknown) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Creates the built-in objects that are missing. */
export async function bootstrapCluster(options: BootstrapOptions): Promise<void> {
  const { client, nodeName, clock } = options;
  for (const name of systemNamespaces) {
    await ensure(client, resources.namespaces, '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  }
  const nowIso = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  const node = buildNode(
    {
      name: nodeName,
      internalIP: primaryIPv4(),
      containerRuntimeVersion: options.containerRuntimeVersion ?? 'runc://1.1.5',
      ready: true,
      readyMessage: 'kubelet is posting ready status',
    },
    nowIso,
  );
  try {
    const live = await client.get(resources.nodes, '', nodeName);
    await client.update(
      resources.nodes,
      '',
      { ...live, status: node['status'] },
      { subresource: 'status', fieldManager: 'podbay' },
    );
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err;
    await ensure(client, resources.nodes, '', node);
  }
  await ensure(client, resources.services, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      sessionAffinity: 'None',
    },
  });
}

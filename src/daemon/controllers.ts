/** Starts the control-plane loops that run inside the daemon (kube-controller-manager's job). */
import type { KubeClient, ResourceRef } from '../client/kube-client.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { DeploymentController } from '../controllers/deployment-controller.ts';
import { EndpointsController } from '../controllers/endpoints-controller.ts';
import { GarbageCollector } from '../controllers/garbage-collector.ts';
import { JobController } from '../controllers/job-controller.ts';
import { NamespaceController } from '../controllers/namespace-controller.ts';
import { ReplicaSetController } from '../controllers/replicaset-controller.ts';
import { ServiceAccountController } from '../controllers/service-account-controller.ts';
import { namespacedResourceRefs } from './api-wiring.ts';
import { ensureClusterCA } from './pki.ts';

/** Options for {@link startControllers}. */
export interface ControllerOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  dataDir: string;
  signal: AbortSignal;
}

/** Starts every controller; returns their run promises (they end when `signal` aborts). */
export function startControllers(options: ControllerOptions): Promise<void>[] {
  const { client, clock, log, signal } = options;
  const refs: ResourceRef[] = namespacedResourceRefs();
  const base = (name: string): { client: KubeClient; clock: Clock; log: Logger } => ({
    client,
    clock,
    log: log.child({ controller: name }),
  });
  const loops: [string, { run(signal: AbortSignal): Promise<void> }][] = [
    [
      'serviceaccount',
      new ServiceAccountController({
        ...base('serviceaccount'),
        caCertificate: ensureClusterCA(options.dataDir, log),
      }),
    ],
    ['namespace', new NamespaceController({ ...base('namespace'), namespacedResources: refs })],
    ['deployment', new DeploymentController(base('deployment'))],
    ['replicaset', new ReplicaSetController(base('replicaset'))],
    ['job', new JobController(base('job'))],
    ['endpoints', new EndpointsController(base('endpoints'))],
    ['garbagecollector', new GarbageCollector(base('garbagecollector'))],
  ];
  return loops.map(([name, c]) =>
    c
      .run(signal)
      .catch((err: unknown) =>
        log.error('Controller stopped with an error', { controller: name, err }),
      ),
  );
}

/**
 * A whole node in-process for the fast tier: the API server on in-memory SQLite with the real
 * resource definitions (pod defaults and validation), the typed client over the in-process
 * transport, the fake runtime, the fake pod network, a Node object, and a running Kubelet.
 */
import { apiFixture, type ApiFixture } from '../../api/testing/api-fixture.ts';
import { resourceDefs } from '../../api/resources/index.ts';
import { KubeClient, resources } from '../../client/kube-client.ts';
import { inProcessTransport } from '../../daemon/in-process-transport.ts';
import { SystemClock, type Clock } from '../../lib/clock.ts';
import { nullLogger } from '../../lib/log.ts';
import { FakePodNetwork } from '../../network/fake/fake-pod-network.ts';
import { FakeContainerRuntime } from '../../runtime/fake/fake-container-runtime.ts';
import { Kubelet, type KubeletOptions } from '../kubelet.ts';

/** A running in-process node. */
export interface NodeFixture {
  api: ApiFixture;
  client: KubeClient;
  runtime: FakeContainerRuntime;
  network: FakePodNetwork;
  /** The running kubelet (a new one after {@link restartKubelet}). */
  readonly kubelet: Kubelet;
  /** Stops the kubelet and starts a fresh one (nothing kept in memory) on the same runtime. */
  restartKubelet(): Promise<void>;
  stop(): Promise<void>;
}

/** Node facts of the fixture (what the daemon's Node object carries, made small). */
export interface NodeShape {
  labels?: Record<string, string>;
  allocatable?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

/** The Node object of the fixture. */
export function fixtureNode(shape: NodeShape = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node1',
      labels: shape.labels ?? {
        'kubernetes.io/hostname': 'node1',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
      },
    },
    spec: shape.taints ? { taints: shape.taints } : {},
    status: { allocatable: shape.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' } },
  };
}

/** Starts a node; `busybox:1.36` is present in the fake runtime. */
export async function startNode(
  clock: Clock = new SystemClock(),
  options: { node?: NodeShape; kubelet?: Partial<KubeletOptions> } = {},
): Promise<NodeFixture> {
  const api = await apiFixture(resourceDefs);
  const client = new KubeClient({ transport: inProcessTransport(api.api.handle) });
  await client.create(resources.nodes, '', fixtureNode(options.node) as never);
  const runtime = new FakeContainerRuntime(clock);
  runtime.setImagePresent('busybox:1.36', { cmd: ['sh'] });
  const network = new FakePodNetwork();
  const make = (): Kubelet =>
    new Kubelet({
      client,
      runtime,
      images: runtime,
      clock,
      log: nullLogger,
      nodeName: 'node1',
      podLogsDir: '/tmp/podbay-test-logs',
      network,
      ...options.kubelet,
    });
  let kubelet = make();
  let ac = new AbortController();
  let loop = kubelet.run(ac.signal);
  return {
    api,
    client,
    runtime,
    network,
    get kubelet() {
      return kubelet;
    },
    restartKubelet: async () => {
      ac.abort();
      await loop;
      kubelet = make();
      ac = new AbortController();
      loop = kubelet.run(ac.signal);
    },
    stop: async () => {
      ac.abort();
      await loop;
      api.close();
    },
  };
}

/** Polls `fn` (real time) until it returns something truthy. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 5000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

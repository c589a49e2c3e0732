/**
 * A whole node in-process for the fast tier: the API server on in-memory SQLite, the typed
 * client over the in-process transport, the fake runtime, and a running Kubelet.
 */
import { apiFixture, type ApiFixture } from '../../api/testing/api-fixture.ts';
import { KubeClient } from '../../client/kube-client.ts';
import { inProcessTransport } from '../../daemon/in-process-transport.ts';
import { SystemClock, type Clock } from '../../lib/clock.ts';
import { nullLogger } from '../../lib/log.ts';
import { FakeContainerRuntime } from '../../runtime/fake/fake-container-runtime.ts';
import { Kubelet } from '../kubelet.ts';

/** A running in-process node. */
export interface NodeFixture {
  api: ApiFixture;
  client: KubeClient;
  runtime: FakeContainerRuntime;
  kubelet: Kubelet;
  stop(): Promise<void>;
}

/** Starts a node; `busybox:1.36` is present in the fake runtime. */
export async function startNode(clock: Clock = new SystemClock()): Promise<NodeFixture> {
  const api = await apiFixture();
  const client = new KubeClient({ transport: inProcessTransport(api.api.handle) });
  const runtime = new FakeContainerRuntime(clock);
  runtime.setImagePresent('busybox:1.36', { cmd: ['sh'] });
  const kubelet = new Kubelet({
    client,
    runtime,
    images: runtime,
    clock,
    log: nullLogger,
    nodeName: 'node1',
    podLogsDir: '/tmp/podbay-test-logs',
  });
  const ac = new AbortController();
  const loop = kubelet.run(ac.signal);
  return {
    api,
    client,
    runtime,
    kubelet,
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

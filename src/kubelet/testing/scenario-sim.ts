/**
 * The in-process scenario simulator for lifecycle-scenarios.md: a whole node (node-fixture) on a
 * FakeClock, containers built from the §0.2 harness (`h{…}`, played by the fake runtime), time
 * moved in 100 ms steps with the kubelet allowed to settle after each, the pod sampled after
 * every step (status + kubectl's READY/STATUS/RESTARTS), and the shared harness log read with
 * the §0.3 notation (`T('app', 'Started')`, `count`, `together`).
 */
import type { Container, LifecycleHandler, Pod } from '../../k8s/types/pod.ts';
import { resources } from '../../client/kube-client.ts';
import { FakeClock } from '../../lib/clock.ts';
import { podStatusCells } from '../../api/printers/pod-printer.ts';
import { startNode, type NodeFixture, type NodeShape } from './node-fixture.ts';
import type { KubeletOptions } from '../kubelet.ts';

/** Harness parameters (§0.2). */
export interface H {
  SD?: number;
  D?: number | 'forever';
  /** Exit code; a comma list gives one per restart attempt (fake-only, for L05c). */
  X?: number | string;
  T?: number | 'ignore';
  LOOP?: number;
  N?: string;
}

const pairs = (p: H): string[] => Object.entries(p).map(([k, v]) => `${k}=${String(v)}`);

/** A container running the harness program with `p`. */
export function h(name: string, p: H = {}, extra: Partial<Container> = {}): Container {
  return {
    name,
    image: 'busybox:1.36',
    command: ['h'],
    env: pairs(p).map((kv) => ({ name: kv.split('=')[0]!, value: kv.slice(kv.indexOf('=') + 1) })),
    ...extra,
  };
}

/** A hook handler `h{…}` (logs under its own N). */
export const hook = (p: H): LifecycleHandler => ({ exec: { command: ['h', ...pairs(p)] } });

/** The exec of `probe-log(NAME, exit K)`. */
export const probeLog = (name: string, k: number): { command: string[] } => ({
  command: ['probe-log', name, String(k)],
});

/** One sample of the pod after a step. */
export interface Sample {
  t: number;
  pod: Pod;
  ready: string;
  status: string;
  restarts: string;
}

/** The simulator. */
export interface Sim {
  node: NodeFixture;
  clock: FakeClock;
  /** Clock at start (ms); times are reported in seconds since then. */
  t0: number;
  samples: Sample[];
  create(pod: Pick<Pod, 'spec'> & { metadata: Pod['metadata'] }): Promise<Pod>;
  get(name: string): Promise<Pod | undefined>;
  /** Advances `seconds` of fake time, sampling `sampled` (if set) after each step. */
  run(seconds: number): Promise<void>;
  /** Advances until `fn` holds (checked after each step); throws after `max` seconds. */
  until(what: string, fn: () => Promise<boolean> | boolean, max?: number): Promise<number>;
  /** Seconds since t0 of the k-th (1-based) line `name event`, or undefined. */
  T(name: string, event: string, k?: number): number | undefined;
  count(name: string, event: string): number;
  /** Line index of the k-th line (for order checks), or -1. */
  at(name: string, event: string, k?: number): number;
  /** `reason: message` of every Event of the namespace, by first occurrence. */
  events(): Promise<string[]>;
  /** Distinct STATUS values in sampling order (consecutive duplicates collapsed). */
  statuses(): string[];
  sampled: string | undefined;
  now(): number;
  stop(): Promise<void>;
}

async function settle(node: NodeFixture): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 400 && quiet < 3; i++) {
    await new Promise((r) => setImmediate(r));
    quiet = node.kubelet.busy ? 0 : quiet + 1;
  }
}

/** Starts a simulated node. */
export async function startSim(
  options: { node?: NodeShape; kubelet?: Partial<KubeletOptions> } = {},
): Promise<Sim> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const node = await startNode(clock, options);
  const t0 = clock.now();
  const log = node.runtime.log;
  const find = (name: string, event: string, k = 1): number => {
    let n = 0;
    for (let i = 0; i < log.length; i++)
      if (log[i]!.name === name && log[i]!.event === event && ++n === k) return i;
    return -1;
  };
  const sim: Sim = {
    node,
    clock,
    t0,
    samples: [],
    sampled: undefined,
    now: () => (clock.now() - t0) / 1000,
    create: async (pod) => {
      const created = await node.client.create<Pod>(resources.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        ...pod,
      });
      sim.sampled ??= created.metadata.name;
      await settle(node);
      return created;
    },
    get: (name) => node.client.get<Pod>(resources.pods, 'default', name).catch(() => undefined),
    run: async (seconds) => {
      for (let i = 0; i < Math.round(seconds * 10); i++) {
        await clock.advance(100);
        await settle(node);
        if (sim.sampled) {
          const pod = await sim.get(sim.sampled);
          if (pod) sim.samples.push({ t: sim.now(), pod, ...podStatusCells(pod, clock.now()) });
        }
      }
    },
    until: async (what, fn, max = 120) => {
      const end = sim.now() + max;
      while (!(await fn())) {
        if (sim.now() > end) throw new Error(`timed out waiting for ${what} (t=${sim.now()}s)`);
        await sim.run(0.1);
      }
      return sim.now();
    },
    T: (name, event, k = 1) => {
      const i = find(name, event, k);
      return i < 0 ? undefined : (log[i]!.t - t0) / 1000;
    },
    count: (name, event) => log.filter((l) => l.name === name && l.event === event).length,
    at: find,
    events: async () =>
      (await node.client.list(resources.events, 'default')).items
        .map((e) => ({
          first: String(e['firstTimestamp']),
          rv: Number(e.metadata.resourceVersion),
          text: `${String(e['reason'])}: ${String(e['message'])}`,
        }))
        .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.rv - b.rv))
        .map((e) => e.text),
    statuses: () => {
      const out: string[] = [];
      for (const s of sim.samples) if (out[out.length - 1] !== s.status) out.push(s.status);
      return out;
    },
    stop: () => node.stop(),
  };
  return sim;
}

/** `together(a, b)` of §0.3: both ran at the same time (first instances). */
export function together(sim: Sim, a: string, b: string): boolean {
  const aS = sim.T(a, 'Started');
  const bS = sim.T(b, 'Started');
  const aE = sim.T(a, 'Exiting') ?? Infinity;
  const bE = sim.T(b, 'Exiting') ?? Infinity;
  return aS !== undefined && bS !== undefined && aS < bE && bS < aE;
}

/** `name: state` shorthand of a container status: `run`, `wait(R)`, `term(code, R)`. */
export function stateOf(pod: Pod | undefined, name: string): string {
  const s = [
    ...(pod?.status?.initContainerStatuses ?? []),
    ...(pod?.status?.containerStatuses ?? []),
  ].find((c) => c.name === name);
  const st = s?.state;
  if (st?.running) return 'run';
  if (st?.terminated) return `term(${st.terminated.exitCode}, ${st.terminated.reason ?? ''})`;
  if (st?.waiting) return `wait(${st.waiting.reason ?? ''})`;
  return 'none';
}

/** The status of container `name`. */
export function statusOf(pod: Pod | undefined, name: string) {
  return [
    ...(pod?.status?.initContainerStatuses ?? []),
    ...(pod?.status?.containerStatuses ?? []),
  ].find((c) => c.name === name);
}

/** `type=status/reason` of a pod condition. */
export function condition(pod: Pod | undefined, type: string): string {
  const c = pod?.status?.conditions?.find((x) => x.type === type);
  return c ? `${c.status}/${c.reason ?? ''}` : 'none';
}

/**
 * Probes (pod-lifecycle.md §8.7): one worker per running instance and probe type, on the
 * injected clock. Startup gates liveness and readiness and sets `started`; readiness drives
 * `ready` (and keeps running while the pod terminates); liveness and startup failures at their
 * thresholds mark the instance for a kill. Every failure is an `Unhealthy` event.
 */
import type { Container, Pod, Probe } from '../../k8s/types/pod.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/log.ts';
import { involvedObjectOf, type EventRecorder } from '../../client/event-recorder.ts';
import type { ContainerRuntime } from '../../runtime/container-runtime.ts';
import { runProbe, type ProbeDial } from './run-probe.ts';

type ProbeType = 'startup' | 'liveness' | 'readiness';

/** Probe state of one instance. */
export interface ProbeResult {
  started: boolean;
  ready: boolean;
  failed?: 'startup' | 'liveness';
}

interface Worker {
  stop: () => void;
}

/** Options for {@link ProbeManager}. */
export interface ProbeManagerOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  log: Logger;
  events: EventRecorder;
  dial?: ProbeDial;
  /** Called when a result changes, to wake the pod's worker. */
  onChange: (pod: Pod) => void;
}

const label: Record<ProbeType, string> = {
  startup: 'Startup',
  liveness: 'Liveness',
  readiness: 'Readiness',
};

/** Runs the probes of every running container instance. */
export class ProbeManager {
  readonly #o: ProbeManagerOptions;
  readonly #results = new Map<string, ProbeResult>();
  readonly #workers = new Map<string, Worker>();

  constructor(options: ProbeManagerOptions) {
    this.#o = options;
  }

  /** The instance's result (no probes: started and ready as soon as it runs). */
  result(instanceId: string): ProbeResult {
    return this.#results.get(instanceId) ?? { started: true, ready: true };
  }

  /** Ensures workers for the pod's running instances and stops those of gone instances. */
  sync(pod: Pod, running: { id: string; name: string }[], terminating: boolean): void {
    const specs = [
      ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
      ...pod.spec.containers,
    ];
    const live = new Set(running.map((r) => r.id));
    for (const [key, w] of this.#workers) {
      const id = key.split('|')[0]!;
      const type = key.split('|')[1] as ProbeType;
      if (!live.has(id) || (terminating && type !== 'readiness')) {
        w.stop();
        this.#workers.delete(key);
      }
    }
    for (const id of [...this.#results.keys()]) if (!live.has(id)) this.#results.delete(id);
    for (const r of running) {
      const spec = specs.find((c) => c.name === r.name);
      if (!spec) continue;
      if (!this.#results.has(r.id))
        this.#results.set(r.id, { started: !spec.startupProbe, ready: !spec.readinessProbe });
      if (spec.startupProbe && !this.result(r.id).started && !terminating)
        this.#start(pod, spec, r.id, 'startup', spec.startupProbe);
      if (this.result(r.id).started) {
        if (spec.livenessProbe && !terminating)
          this.#start(pod, spec, r.id, 'liveness', spec.livenessProbe);
        if (spec.readinessProbe) this.#start(pod, spec, r.id, 'readiness', spec.readinessProbe);
      }
    }
  }

  /** Stops everything (daemon shutdown). */
  stop(): void {
    for (const w of this.#workers.values()) w.stop();
    this.#workers.clear();
  }

  #start(pod: Pod, spec: Container, id: string, type: ProbeType, probe: Probe): void {
    const key = `${id}|${type}`;
    if (this.#workers.has(key)) return;
    const ac = new AbortController();
    this.#workers.set(key, { stop: () => ac.abort() });
    const { clock, events } = this.#o;
    const io = involvedObjectOf(
      pod,
      pod.spec.containers.some((c) => c.name === spec.name)
        ? `spec.containers{${spec.name}}`
        : `spec.initContainers{${spec.name}}`,
    );
    const loop = async (): Promise<void> => {
      let successes = 0;
      let failures = 0;
      await clock.sleep((probe.initialDelaySeconds ?? 0) * 1000, ac.signal);
      for (;;) {
        const outcome = await runProbe(this.#o.runtime, pod, id, probe, this.#o.dial);
        if (ac.signal.aborted) return;
        const r = { ...this.result(id) };
        if (outcome.ok) {
          successes++;
          failures = 0;
        } else {
          failures++;
          successes = 0;
          events.record(
            io,
            'Warning',
            'Unhealthy',
            `${label[type]} probe ${outcome.errored ? 'errored' : 'failed'}: ${outcome.output}`,
          );
        }
        let changed = false;
        if (type === 'startup' && outcome.ok && !r.started) {
          r.started = true;
          changed = true;
        } else if (type === 'readiness') {
          const ready = outcome.ok
            ? successes >= (probe.successThreshold ?? 1) || r.ready
            : failures >= (probe.failureThreshold ?? 3)
              ? false
              : r.ready;
          if (ready !== r.ready) {
            r.ready = ready;
            changed = true;
          }
        } else if (!outcome.ok && failures >= (probe.failureThreshold ?? 3)) {
          r.failed = type;
          changed = true;
        }
        if (changed) {
          this.#results.set(id, r);
          this.#o.onChange(pod);
          if (r.failed || (type === 'startup' && r.started)) return;
        }
        await clock.sleep((probe.periodSeconds ?? 10) * 1000, ac.signal);
      }
    };
    loop()
      .catch((err: unknown) => {
        if (!ac.signal.aborted)
          this.#o.log.warn('Probe worker failed', { container: spec.name, type, err });
      })
      .finally(() => {
        if (this.#workers.get(key)?.stop) this.#workers.delete(key);
      });
  }
}

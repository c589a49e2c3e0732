/**
 * Lifecycle hooks (pod-lifecycle.md §3.3, §13.3): postStart runs synchronously right after a
 * container starts (the next container waits for it); preStop runs before the stop signal and
 * its time comes out of the grace period. exec runs through the runtime, httpGet through the
 * pod dialer, sleep on the clock.
 */
import type { LifecycleHandler, Pod } from '../k8s/types/pod.ts';
import type { Clock } from '../lib/clock.ts';
import type { ContainerRuntime } from '../runtime/container-runtime.ts';
import { runProbe, type ProbeDial } from './prober/run-probe.ts';

/** The outcome of a hook. */
export interface HookResult {
  ok: boolean;
  message: string;
}

/** Runs one hook handler, giving up after `timeoutMs`. */
export async function runHook(
  handler: LifecycleHandler,
  ctx: {
    runtime: ContainerRuntime;
    clock: Clock;
    pod: Pod;
    containerId: string;
    timeoutMs: number;
    dial?: ProbeDial | undefined;
  },
): Promise<HookResult> {
  if (handler.sleep) {
    await ctx.clock.sleep(Math.min(handler.sleep.seconds * 1000, ctx.timeoutMs));
    return { ok: true, message: '' };
  }
  if (handler.exec) {
    const r = await ctx.runtime.execSync(
      ctx.containerId,
      handler.exec.command ?? [],
      ctx.timeoutMs,
    );
    const out = Buffer.concat([r.stdout, r.stderr]).toString('utf8').trim();
    if (r.timedOut)
      return {
        ok: false,
        message: `command '${(handler.exec.command ?? []).join(' ')}' timed out`,
      };
    return r.exitCode === 0
      ? { ok: true, message: out }
      : {
          ok: false,
          message: `command '${(handler.exec.command ?? []).join(' ')}' exited with ${r.exitCode}: ${out}`,
        };
  }
  if (handler.httpGet || handler.tcpSocket) {
    const probe = handler.httpGet
      ? { httpGet: handler.httpGet, timeoutSeconds: Math.ceil(ctx.timeoutMs / 1000) }
      : { tcpSocket: handler.tcpSocket!, timeoutSeconds: Math.ceil(ctx.timeoutMs / 1000) };
    const r = await runProbe(ctx.runtime, ctx.pod, ctx.containerId, probe, ctx.dial);
    return { ok: r.ok, message: r.output };
  }
  return { ok: false, message: 'the hook has no handler' };
}

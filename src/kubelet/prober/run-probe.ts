/** Runs one probe attempt: exec through the runtime, tcpSocket and httpGet through a dialer. */
import type { Socket } from 'node:net';
import type { Pod, Probe } from '../../k8s/types/pod.ts';
import type { ContainerRuntime } from '../../runtime/container-runtime.ts';

/** Opens a TCP connection to a port of the pod. */
export type ProbeDial = (pod: Pod, port: number) => Promise<Socket>;

/** One attempt's outcome; `output` goes into the Unhealthy event. */
export interface ProbeOutcome {
  ok: boolean;
  errored?: boolean;
  output: string;
}

function portOf(pod: Pod, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? []) if (p.name === port) return p.containerPort;
  return undefined;
}

/** Runs the probe once with its timeout. */
export async function runProbe(
  runtime: ContainerRuntime,
  pod: Pod,
  containerId: string,
  probe: Probe,
  dial?: ProbeDial,
): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    const r = await runtime.execSync(containerId, probe.exec.command ?? [], timeoutMs);
    if (r.timedOut)
      return { ok: false, output: `command timed out after ${probe.timeoutSeconds ?? 1}s` };
    return {
      ok: r.exitCode === 0,
      output: Buffer.concat([r.stdout, r.stderr]).toString('utf8').trim(),
    };
  }
  const target = probe.tcpSocket ?? probe.httpGet;
  if (target) {
    const port = portOf(pod, target.port);
    if (port === undefined || !dial)
      return { ok: false, errored: true, output: `cannot reach port ${String(target.port)}` };
    try {
      const socket = await Promise.race([
        dial(pod, port),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`dial tcp :${port}: i/o timeout`)), timeoutMs),
        ),
      ]);
      if (probe.tcpSocket) {
        socket.destroy();
        return { ok: true, output: '' };
      }
      const path = probe.httpGet?.path ?? '/';
      return await new Promise<ProbeOutcome>((resolve) => {
        let data = '';
        socket.setEncoding('latin1');
        socket.on('data', (c: string) => (data += c));
        socket.on('end', () => {
          const m = /^HTTP\/1\.\d (\d{3})/.exec(data);
          const code = m ? Number(m[1]) : 0;
          resolve(
            code >= 200 && code < 400
              ? { ok: true, output: '' }
              : { ok: false, output: `HTTP probe failed with statuscode: ${code}` },
          );
        });
        socket.on('error', (e) => resolve({ ok: false, output: e.message }));
        socket.end(
          `GET ${path} HTTP/1.0\r\nHost: ${pod.status?.podIP ?? 'localhost'}\r\nUser-Agent: kube-probe/1.33\r\n\r\n`,
        );
      });
    } catch (err: unknown) {
      return { ok: false, output: err instanceof Error ? err.message : String(err) };
    }
  }
  return { ok: false, errored: true, output: 'grpc probes are not supported yet' };
}

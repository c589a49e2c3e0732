/**
 * Routes protocol upgrades for `pods/<name>/exec`, `attach` and `portforward` to the streaming
 * handlers (`api/streaming`), after the checks kube-apiserver and the kubelet make: the pod
 * exists, is not finished, and the container is one of its own and is running.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { BadRequestError, NotFoundError } from '../k8s/errors.ts';
import type { ContainerStatus, Pod } from '../k8s/types/pod.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Logger } from '../lib/log.ts';
import type { UpgradeHandler } from '../api/node-http.ts';
import {
  detectUpgrade,
  handleExecUpgrade,
  handlePortForwardUpgrade,
  parseExecRequest,
  parsePortForwardPorts,
  rejectUpgrade,
  rejectUpgradeText,
} from '../api/streaming/streaming-upgrade.ts';
import type { ExecOptions, StreamSession } from '../runtime/container-runtime.ts';

/** What the node offers to streaming (wired to the kubelet and runtime). */
export interface PodStreamingBackend {
  /** Starts `cmd` in the pod's running container, or throws when it is not running. */
  exec(pod: Pod, container: string, cmd: string[], options: ExecOptions): Promise<StreamSession>;
  attach(pod: Pod, container: string, options: ExecOptions): Promise<StreamSession>;
  /** Opens a TCP connection to `port` inside the pod. */
  dial(pod: Pod, port: number): Promise<Duplex>;
}

/** Options for {@link podStreamingUpgrade}. */
export interface PodStreamingOptions {
  getPod(namespace: string, name: string): KubeObject | undefined;
  /** Undefined until a node agent runs: requests then get a clear error. */
  backend: () => PodStreamingBackend | undefined;
  log: Logger;
}

const pathRe = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/;

/** The default container for exec/attach/logs: the annotation, else the first container. */
export function defaultContainer(pod: Pod): string | undefined {
  return (
    pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ??
    pod.spec.containers[0]?.name
  );
}

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  const s = pod.status;
  return [
    ...(s?.containerStatuses ?? []),
    ...(s?.initContainerStatuses ?? []),
    ...(s?.ephemeralContainerStatuses ?? []),
  ].find((c) => c.name === container);
}

/** The kubelet's words when the container has no running instance (finished, or not started). */
export const containerNotFound = (container: string): string =>
  `container not found (${JSON.stringify(container)})`;

/**
 * The error a cluster gives when the container is not running: the kubelet refuses the upgrade
 * with plain text, which kubectl's SPDY client prints as `unable to upgrade connection: …`; the
 * API server's WebSocket translator has already upgraded, and sends that as an InternalError
 * status on the error channel.
 */
function notRunningError(container: string): Error {
  return new Error(
    `Internal error occurred: unable to upgrade connection: ${containerNotFound(container)}`,
  );
}

/**
 * Spaces an attach session's resizes at least `ms` apart, the latest size winning. conmon 2.1
 * applies only the first message of what it reads from its ctl fifo at once, and kubectl attach
 * sends size+1 then the size back to back (to force a redraw): written together, the terminal
 * would stay at size+1.
 */
export function spacedResizes(session: StreamSession, ms = 100): StreamSession {
  let last = -Infinity;
  let pending: [number, number] | undefined;
  let timer: NodeJS.Timeout | undefined;
  let confirm: NodeJS.Timeout | undefined;
  const apply = (cols: number, rows: number): void => {
    last = Date.now();
    session.resize(cols, rows);
    // Say the final size once more a little later: under load conmon can still take only the
    // first of two size messages it reads together. Resizing to the same size is harmless.
    clearTimeout(confirm);
    confirm = setTimeout(() => session.resize(cols, rows), 3 * ms);
    confirm.unref();
  };
  const done = (): void => {
    clearTimeout(timer);
    clearTimeout(confirm);
  };
  session.exited.then(done, done);
  return {
    ...session,
    resize: (cols, rows) => {
      const wait = last + ms - Date.now();
      if (wait <= 0 && timer === undefined) {
        apply(cols, rows);
        return;
      }
      pending = [cols, rows];
      timer ??= setTimeout(
        () => {
          timer = undefined;
          const [c, r] = pending ?? [cols, rows];
          pending = undefined;
          apply(c, r);
        },
        Math.max(0, wait),
      );
    },
  };
}

/** The HTTP `upgrade` handler. */
export function podStreamingUpgrade(options: PodStreamingOptions): UpgradeHandler {
  return (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = pathRe.exec(url.pathname);
    try {
      if (!m) throw new NotFoundError({ group: '', resource: 'pods' }, url.pathname);
      const [, ns, name, sub] = m as unknown as [
        string,
        string,
        string,
        'exec' | 'attach' | 'portforward',
      ];
      const pod = options.getPod(decodeURIComponent(ns), decodeURIComponent(name)) as
        Pod | undefined;
      if (!pod) throw new NotFoundError({ group: '', resource: 'pods' }, decodeURIComponent(name));
      const backend = options.backend();
      if (!backend)
        throw new BadRequestError('the node agent is not running: containers cannot be reached');
      const log = options.log.child({ pod: `${ns}/${name}`, subresource: sub });
      if (sub === 'portforward') {
        handlePortForwardUpgrade(req, socket, head, {
          ports: parsePortForwardPorts(req.url ?? ''),
          dial: (port) => backend.dial(pod, port),
          podName: pod.metadata.name ?? '',
          podUid: pod.metadata.uid ?? '',
          log,
        });
        return;
      }
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        throw new BadRequestError(
          `cannot ${sub} into a container in a completed pod; current phase is ${phase}`,
        );
      }
      const request = parseExecRequest(req.url ?? '');
      const container = request.container ?? defaultContainer(pod) ?? '';
      const all = [
        ...pod.spec.containers,
        ...(pod.spec.initContainers ?? []),
        ...(pod.spec.ephemeralContainers ?? []),
      ];
      if (!all.some((c) => c.name === container))
        throw new BadRequestError(
          `container ${container} is not valid for pod ${pod.metadata.name ?? ''}`,
        );
      const running = statusOf(pod, container)?.state?.running !== undefined;
      if (!running && detectUpgrade(req).kind === 'spdy') {
        rejectUpgradeText(socket, 500, containerNotFound(container));
        return;
      }
      handleExecUpgrade(req, socket, head, {
        isAttach: sub === 'attach',
        log,
        request,
        start: async (o) => {
          if (!running) throw notRunningError(container);
          try {
            return sub === 'attach'
              ? spacedResizes(await backend.attach(pod, container, o))
              : await backend.exec(pod, container, request.command, o);
          } catch (err: unknown) {
            // The runtime found no running instance after all (it exited meanwhile).
            if (err instanceof Error && /is not running/.test(err.message))
              throw notRunningError(container);
            throw err;
          }
        },
      });
    } catch (err: unknown) {
      rejectUpgrade(socket, err);
    }
  };
}

/**
 * The pod volume manager: sets up every volume of a pod under
 * `<podsDir>/<uid>/volumes/<plugin>/<name>` before its containers start, refreshes the
 * configMap/secret/downwardAPI/projected contents on each re-run (atomically, see
 * atomic-writer.ts), turns a container's volumeMounts into runtime mounts, and removes it all
 * when the pod is gone. Secret, downwardAPI and projected volumes, and emptyDirs with
 * `medium: Memory`, sit on their own tmpfs, as the kubelet keeps them off disk.
 */
import { chmod, mkdir, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, IntOrString, Pod, Volume } from '../../k8s/types/pod.ts';
import type { Logger } from '../../lib/log.ts';
import type { Mount } from '../../runtime/container-runtime.ts';
import { CreateContainerConfigError } from '../container-env.ts';
import { resources, type KubeClient } from '../../client/kube-client.ts';
import { writeAtomically, type Payload } from './atomic-writer.ts';
import { keysVolumePayload } from './config-volumes.ts';
import { containerMounts } from './container-mounts.ts';
import { downwardPayload, hostCapacity, type NodeCapacity } from './downward-api.ts';
import { setUpHostPath } from './host-path.ts';
import { isTmpfsMountPoint, mountTmpfs, unmountAllUnder } from './mounts.ts';
import { projectedPayload, type ProjectionContext } from './projected.ts';
import { memoryVolumeSize } from './memory-size.ts';
import { selfSignedToken, serviceAccountOf, TokenCache, type TokenFetcher } from './sa-token.ts';
import { SetUpError, VolumeError } from './volume-error.ts';

export { VolumeError } from './volume-error.ts';

/** What the manager needs. */
export interface VolumeManagerDeps {
  client: KubeClient;
  /** `<data>/pods`. */
  podsDir: string;
  log: Logger;
  /** Issues service-account tokens; without it podbay signs its own (see sa-token.ts). */
  serviceAccountToken?: (
    pod: Pod,
    audience?: string,
    expirationSeconds?: number,
  ) => Promise<string>;
  /** PEM for `ca.crt`; without it the namespace's `kube-root-ca.crt` ConfigMap is read. */
  caCert?: () => Promise<string>;
  /**
   * The node's allocatable resources: unset limits in downward-API values, and the largest tmpfs
   * (default: this machine's CPUs and memory).
   */
  nodeCapacity?: NodeCapacity;
  /** Mount tmpfs for secret/downwardAPI/projected volumes (default: when running as root). */
  memoryBacked?: boolean;
  /** Milliseconds since the epoch (token refresh). */
  now?: () => number;
}

/** Volume plugin directory names, as the kubelet names them. */
const pluginDir = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;
type Plugin = keyof typeof pluginDir | 'hostPath';

const supported: Plugin[] = [
  'emptyDir',
  'hostPath',
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
];

/** Which plugin a volume uses; a volume with no source is an emptyDir (the API's default). */
function pluginOf(v: Volume): Plugin {
  for (const p of supported) if (v[p] !== undefined && v[p] !== null) return p;
  const other = Object.keys(v).find((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
  if (other) {
    throw new SetUpError(
      `${other} volumes are not supported on podbay (supported: ${supported.join(', ')})`,
    );
  }
  return 'emptyDir';
}

/** How long a complete set-up of a pod's volumes stands for the next syncs (ms). */
const recentMs = 1000;

/** Sets up, mounts and tears down pod volumes. */
export class VolumeManager {
  readonly #d: VolumeManagerDeps;
  readonly #tokens: TokenCache;
  readonly #node: NodeCapacity;
  readonly #memoryBacked: boolean;
  readonly #busy = new Map<string, Promise<unknown>>();
  readonly #now: () => number;
  /** The last complete set-up per pod: when, and of which pod metadata and resources. */
  readonly #fresh = new Map<string, { at: number; key: string }>();

  constructor(deps: VolumeManagerDeps) {
    this.#d = deps;
    const now = deps.now ?? Date.now;
    this.#now = now;
    this.#tokens = new TokenCache(deps.serviceAccountToken ?? this.#selfSigned(now), now);
    this.#node = deps.nodeCapacity ?? hostCapacity();
    this.#memoryBacked = deps.memoryBacked ?? process.getuid?.() === 0;
  }

  #selfSigned(now: () => number): TokenFetcher {
    return async (pod, audience, expirationSeconds) => {
      const ns = pod.metadata.namespace ?? 'default';
      const sa = await this.#d.client.get(resources.serviceAccounts, ns, serviceAccountOf(pod));
      return selfSignedToken({
        pod,
        serviceAccountUid: sa.metadata.uid ?? '',
        audience,
        expirationSeconds,
        nowMs: now(),
      });
    };
  }

  /** Where a volume of the pod lives on the host. */
  volumePath(podUid: string, v: Volume): string {
    const p = pluginOf(v);
    if (p === 'hostPath') return v.hostPath!.path;
    if (!/^[^/]+$/.test(v.name) || v.name === '.' || v.name === '..') {
      throw new SetUpError(`invalid volume name ${JSON.stringify(v.name)}`);
    }
    return join(this.#d.podsDir, podUid, 'volumes', pluginDir[p], v.name);
  }

  /** Runs `fn` after any other operation on the same pod. */
  async #serial<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#busy.get(uid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#busy.set(uid, settled);
    try {
      return await next;
    } finally {
      if (this.#busy.get(uid) === settled) this.#busy.delete(uid);
    }
  }

  /**
   * Creates or refreshes every volume of the pod; idempotent. All volumes are attempted; the
   * first failure is thrown as a VolumeError (the caller records FailedMount and retries).
   */
  async setUpPod(pod: Pod, signal?: AbortSignal): Promise<void> {
    const uid = pod.metadata.uid;
    if (!uid) throw new Error('pod has no uid');
    // A pod's first syncs follow each other within milliseconds (one per init container); the
    // contents they would write cannot have changed unless the pod's labels, annotations or
    // resources did (downward API). ConfigMap and Secret changes reach pods on later syncs,
    // as with the kubelet, whose own cache delays them by up to a minute.
    const key = JSON.stringify([
      pod.metadata.labels,
      pod.metadata.annotations,
      pod.spec.containers.map((c) => c.resources),
    ]);
    const last = this.#fresh.get(uid);
    if (last && last.key === key && this.#now() - last.at < recentMs) return;
    await this.#serial(uid, async () => {
      this.#fresh.delete(uid);
      let first: VolumeError | undefined;
      for (const v of pod.spec.volumes ?? []) {
        signal?.throwIfAborted();
        try {
          await this.#setUpVolume(pod, uid, v);
        } catch (err: unknown) {
          if (signal?.aborted) throw err;
          const detail = err instanceof Error ? err.message : String(err);
          const e = new VolumeError(v.name, detail, { cause: err });
          this.#d.log.debug('Volume set-up failed', {
            pod: pod.metadata.name,
            volume: v.name,
            err: detail,
          });
          first ??= e;
        }
      }
      if (first) throw first;
      this.#fresh.set(uid, { at: this.#now(), key });
    });
  }

  async #setUpVolume(pod: Pod, uid: string, v: Volume): Promise<void> {
    const plugin = pluginOf(v);
    if (plugin === 'hostPath') return setUpHostPath(v.hostPath!.path, v.hostPath!.type);
    const dir = this.volumePath(uid, v);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const ns = pod.metadata.namespace ?? 'default';
    let payload: Payload;
    switch (plugin) {
      case 'emptyDir': {
        const ed = v.emptyDir ?? {};
        if (ed.medium === 'Memory') {
          await this.#tmpfs(dir, pod, ed.sizeLimit, true);
        } else if (ed.medium) {
          throw new SetUpError(`emptyDir medium ${String(ed.medium)} is not supported on podbay`);
        }
        return worldWritable(dir);
      }
      case 'configMap': {
        const cm = v.configMap!;
        await worldWritable(dir);
        const src = {
          kind: 'configmap',
          name: cm.name ?? '',
          items: cm.items,
          optional: cm.optional,
        } as const;
        payload = await keysVolumePayload(this.#d.client, ns, src, cm.defaultMode ?? 0o644);
        break;
      }
      case 'secret': {
        const s = v.secret!;
        await this.#tmpfs(dir, pod);
        const src = {
          kind: 'secret',
          name: s.secretName ?? '',
          items: s.items,
          optional: s.optional,
        } as const;
        payload = await keysVolumePayload(this.#d.client, ns, src, s.defaultMode ?? 0o644);
        break;
      }
      case 'downwardAPI': {
        const d = v.downwardAPI!;
        await this.#tmpfs(dir, pod);
        payload = downwardPayload(pod, d.items ?? [], d.defaultMode ?? 0o644, this.#node);
        break;
      }
      case 'projected': {
        const p = v.projected!;
        await this.#tmpfs(dir, pod);
        const ctx: ProjectionContext = {
          client: this.#d.client,
          tokens: this.#tokens,
          node: this.#node,
          caCert: this.#d.caCert,
        };
        payload = await projectedPayload(ctx, pod, p.sources ?? [], p.defaultMode ?? 0o644);
        break;
      }
    }
    try {
      await writeAtomically(dir, payload);
    } catch (err: unknown) {
      throw new SetUpError(
        `failed to write volume contents: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /**
   * Mounts a tmpfs on `dir` (sized by memory-size.ts) unless one is there; without root, only
   * `required` ones fail.
   */
  async #tmpfs(dir: string, pod: Pod, sizeLimit?: IntOrString, required = false): Promise<void> {
    if (!this.#memoryBacked) {
      if (required)
        throw new SetUpError('a memory-backed emptyDir needs a tmpfs mount, which needs root');
      return worldWritable(dir);
    }
    const real = await realpath(dir);
    if (await isTmpfsMountPoint(real)) return;
    await mountTmpfs(real, memoryVolumeSize(pod, this.#node.memory, sizeLimit));
    await worldWritable(dir);
  }

  /** The runtime mounts for one container (call after setUpPod). */
  async mountsFor(pod: Pod, container: Container, env: Record<string, string>): Promise<Mount[]> {
    const uid = pod.metadata.uid ?? '';
    return containerMounts(
      pod,
      container,
      env,
      (v) => {
        let p: Plugin;
        try {
          p = pluginOf(v);
        } catch (err: unknown) {
          throw new CreateContainerConfigError(err instanceof Error ? err.message : String(err));
        }
        return {
          hostPath: this.volumePath(uid, v),
          readOnly: p !== 'emptyDir' && p !== 'hostPath',
        };
      },
      this.#d.log,
    );
  }

  /** Unmounts the pod's tmpfs volumes and removes `<podsDir>/<uid>/volumes`. Idempotent. */
  async tearDownPod(podUid: string): Promise<void> {
    await this.#serial(podUid, async () => {
      this.#fresh.delete(podUid);
      const base = join(this.#d.podsDir, podUid, 'volumes');
      const real = await realpath(base).catch(() => undefined);
      this.#tokens.forget(podUid);
      if (!real) return;
      await unmountAllUnder(real);
      await rm(real, { recursive: true, force: true });
    });
  }
}

/** chmod 0777 unless the permission bits already are (a tmpfs root keeps its sticky bit). */
async function worldWritable(dir: string): Promise<void> {
  if (((await stat(dir)).mode & 0o777) !== 0o777) await chmod(dir, 0o777);
}

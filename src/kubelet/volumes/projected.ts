/**
 * The files of a projected volume: configMap, secret, downwardAPI and serviceAccountToken sources
 * merged into one directory (the API server's `kube-api-access-*` volume is one: `token`,
 * `ca.crt` from the namespace's `kube-root-ca.crt` ConfigMap, and `namespace`). Failures of
 * several sources are reported together, as the kubelet aggregates them.
 */
import type { Pod, VolumeProjection } from '../../k8s/types/pod.ts';
import type { KubeClient } from '../../client/kube-client.ts';
import type { Payload } from './atomic-writer.ts';
import { keysPayload, readKeys, type KeysSource } from './config-volumes.ts';
import { downwardPayload, type NodeCapacity } from './downward-api.ts';
import type { TokenCache } from './sa-token.ts';
import { SetUpError } from './volume-error.ts';

/** What projecting needs besides the pod. */
export interface ProjectionContext {
  client: KubeClient;
  tokens: TokenCache;
  node: NodeCapacity;
  /** When set, the `ca.crt` key of `kube-root-ca.crt` comes from here instead of the API. */
  caCert?: (() => Promise<string>) | undefined;
}

const rootCa = 'kube-root-ca.crt';

async function keysOf(
  ctx: ProjectionContext,
  pod: Pod,
  src: KeysSource,
  mode: number,
): Promise<Payload> {
  const ns = pod.metadata.namespace ?? 'default';
  const data =
    src.kind === 'configmap' && src.name === rootCa && ctx.caCert
      ? new Map([['ca.crt', Buffer.from(await ctx.caCert(), 'utf8')]])
      : await readKeys(ctx.client, src.kind, ns, src.name);
  return keysPayload(src, data, mode);
}

async function sourcePayload(
  ctx: ProjectionContext,
  pod: Pod,
  s: VolumeProjection,
  mode: number,
): Promise<Payload> {
  if (s.configMap) {
    const { name = '', items, optional } = s.configMap;
    return keysOf(ctx, pod, { kind: 'configmap', name, items, optional }, mode);
  }
  if (s.secret) {
    const { name = '', items, optional } = s.secret;
    return keysOf(ctx, pod, { kind: 'secret', name, items, optional }, mode);
  }
  if (s.downwardAPI) return downwardPayload(pod, s.downwardAPI.items ?? [], mode, ctx.node);
  if (s.serviceAccountToken) {
    const { audience, expirationSeconds = 3600, path } = s.serviceAccountToken;
    let token: string;
    try {
      token = await ctx.tokens.get(pod, audience, expirationSeconds);
    } catch (err: unknown) {
      throw new SetUpError(
        `failed to fetch token: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return new Map([[path, { data: Buffer.from(token, 'utf8'), mode }]]);
  }
  return new Map();
}

/** All files of a projected volume. */
export async function projectedPayload(
  ctx: ProjectionContext,
  pod: Pod,
  sources: VolumeProjection[],
  defaultMode: number,
): Promise<Payload> {
  const out: Payload = new Map();
  const errors: string[] = [];
  for (const s of sources) {
    try {
      for (const [k, v] of await sourcePayload(ctx, pod, s, defaultMode)) out.set(k, v);
    } catch (err: unknown) {
      if (!(err instanceof SetUpError)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length === 1) throw new SetUpError(errors[0]);
  if (errors.length > 1) throw new SetUpError(`[${errors.join(', ')}]`);
  return out;
}

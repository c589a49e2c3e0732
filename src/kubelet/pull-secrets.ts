/**
 * Registry credentials for one pull, as the kubelet gathers them: the pod's
 * `imagePullSecrets` (types `kubernetes.io/dockerconfigjson` and `kubernetes.io/dockercfg`),
 * matched against the image's registry host. A secret that does not exist is skipped (the
 * kubelet only warns), so the pull goes on anonymously and fails with the registry's reason.
 */
import { isNotFound } from '../k8s/errors.ts';
import type { Pod } from '../k8s/types/pod.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import { resources, type KubeClient } from '../client/kube-client.ts';
import type { PullAuth } from '../runtime/container-runtime.ts';
import { parseImageRef } from '../runtime/images/image-ref.ts';
import { credentialsFor } from '../runtime/images/registry/credentials.ts';

/** Credentials to try, in order, for pulling `image` for `pod`. */
export async function pullAuthFor(
  pod: Pod,
  image: string,
  client: KubeClient,
): Promise<PullAuth[]> {
  const names = (pod.spec.imagePullSecrets ?? []).map((s) => s.name ?? '').filter(Boolean);
  if (names.length === 0) return [];
  let host: string;
  try {
    host = parseImageRef(image).registry;
  } catch {
    return [];
  }
  const secrets: { type: string; data: Record<string, string> }[] = [];
  for (const name of names) {
    try {
      const s = await client.get<KubeObject & { type?: string; data?: Record<string, string> }>(
        resources.secrets,
        pod.metadata.namespace ?? '',
        name,
      );
      secrets.push({ type: s.type ?? '', data: s.data ?? {} });
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err;
    }
  }
  return credentialsFor(host, secrets);
}

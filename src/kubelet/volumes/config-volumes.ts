/**
 * The files of configMap and secret volumes (and projected sources of those kinds): read the
 * object through the API, pick all keys or the listed `items`, apply modes. Missing objects and
 * keys follow `optional`, with the kubelet's messages.
 */
import { isNotFound } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { KeyToPath } from '../../k8s/types/pod.ts';
import { resources, type KubeClient } from '../../client/kube-client.ts';
import type { Payload } from './atomic-writer.ts';
import { SetUpError } from './volume-error.ts';

export type ObjectKind = 'configmap' | 'secret';

/** Key → bytes of a ConfigMap (`data` and `binaryData`) or Secret (`data`, decoded). */
export async function readKeys(
  client: KubeClient,
  kind: ObjectKind,
  namespace: string,
  name: string,
): Promise<Map<string, Buffer> | undefined> {
  let obj: KubeObject;
  try {
    obj = await client.get(
      kind === 'configmap' ? resources.configMaps : resources.secrets,
      namespace,
      name,
    );
  } catch (err: unknown) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const out = new Map<string, Buffer>();
  const data = (obj['data'] as Record<string, string> | undefined) ?? {};
  for (const [k, v] of Object.entries(data)) {
    out.set(k, kind === 'configmap' ? Buffer.from(v, 'utf8') : Buffer.from(v, 'base64'));
  }
  if (kind === 'configmap') {
    const bin = (obj['binaryData'] as Record<string, string> | undefined) ?? {};
    for (const [k, v] of Object.entries(bin)) out.set(k, Buffer.from(v, 'base64'));
  }
  return out;
}

/** What a configMap/secret volume or projection asks for. */
export interface KeysSource {
  kind: ObjectKind;
  name: string;
  items?: KeyToPath[] | undefined;
  optional?: boolean | undefined;
}

/** The files for one source; `data` undefined means the object does not exist. */
export function keysPayload(
  src: KeysSource,
  data: Map<string, Buffer> | undefined,
  defaultMode: number,
): Payload {
  const out: Payload = new Map();
  if (!data) {
    if (src.optional) return out;
    throw new SetUpError(`${src.kind} "${src.name}" not found`);
  }
  if (!src.items?.length) {
    for (const [k, v] of data) out.set(k, { data: v, mode: defaultMode });
    return out;
  }
  for (const item of src.items) {
    const v = data.get(item.key);
    if (v === undefined) {
      if (src.optional) continue;
      throw new SetUpError(
        src.kind === 'configmap'
          ? `configmap references non-existent config key: ${item.key}`
          : `references non-existent secret key: ${item.key}`,
      );
    }
    out.set(item.path, { data: v, mode: item.mode ?? defaultMode });
  }
  return out;
}

/** Reads the object and builds its files. */
export async function keysVolumePayload(
  client: KubeClient,
  namespace: string,
  src: KeysSource,
  defaultMode: number,
): Promise<Payload> {
  return keysPayload(src, await readKeys(client, src.kind, namespace, src.name), defaultMode);
}

/**
 * The files of downwardAPI volumes and projections: pod fields (`fieldRef`) and a container's
 * resources (`resourceFieldRef`, scaled by `divisor`, rounded up; unset limits are the node's).
 * Labels and annotations are written one `key="value"` per line, sorted by key, values quoted
 * as Go's `%q` does, with no trailing newline.
 */
import { cpus, totalmem } from 'node:os';
import type { DownwardAPIVolumeFile, Pod, ResourceFieldSelector } from '../../k8s/types/pod.ts';
import type { Payload } from './atomic-writer.ts';
import { milliValue, parseQuantity } from './quantity.ts';
import { SetUpError } from './volume-error.ts';

/** What unset limits default to (quantities), as the kubelet's node allocatable. */
export interface NodeCapacity {
  cpu: string;
  memory: string;
  'ephemeral-storage'?: string;
}

/** This machine's CPU count and memory. */
export function hostCapacity(): NodeCapacity {
  return { cpu: String(cpus().length), memory: String(totalmem()) };
}

const simpleEscapes: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

/** A double-quoted string as Go's `%q` writes it (printable Unicode kept, controls escaped). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const esc = simpleEscapes[ch];
    if (esc) out += esc;
    else if (/\p{Cc}|\p{Cf}|\p{Zl}|\p{Zp}/u.test(ch) || (/\s/u.test(ch) && ch !== ' ')) {
      const cp = ch.codePointAt(0)!;
      out +=
        cp < 0x80
          ? `\\x${cp.toString(16).padStart(2, '0')}`
          : cp < 0x10000
            ? `\\u${cp.toString(16).padStart(4, '0')}`
            : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** `key="value"` lines sorted by key. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k]!)}`)
    .join('\n');
}

/** The value of a `fieldRef` path. */
export function podFieldValue(pod: Pod, path: string): string {
  const m = pod.metadata;
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((i) => i.ip).join(',');
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((i) => i.ip).join(',');
    default: {
      const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (sub) return (sub[1] === 'labels' ? m.labels : m.annotations)?.[sub[2]!] ?? '';
      throw new SetUpError(`unsupported fieldPath: ${path}`);
    }
  }
}

/** The value of a `resourceFieldRef` for a container of the pod. */
export function resourceFieldValue(
  pod: Pod,
  ref: ResourceFieldSelector,
  node: NodeCapacity,
): string {
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const c = all.find((x) => x.name === ref.containerName);
  if (!c) throw new SetUpError(`container ${ref.containerName ?? ''} not found`);
  const [kind, name] = ref.resource.split('.', 2) as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !name) {
    throw new SetUpError(`unsupported container resource : ${ref.resource}`);
  }
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const nodeValue = (node as unknown as Record<string, string | undefined>)[name];
  const q =
    kind === 'limits' ? (limits[name] ?? nodeValue ?? 0) : (requests[name] ?? limits[name] ?? 0);
  const divisor = ref.divisor ?? 1;
  if (name === 'cpu') {
    return String(Math.ceil(milliValue(q) / Math.max(1, milliValue(divisor))));
  }
  const d = parseQuantity(divisor);
  return String(Math.ceil(Math.ceil(parseQuantity(q)) / (d > 0 ? d : 1)));
}

/** The files of a downwardAPI volume or projection. */
export function downwardPayload(
  pod: Pod,
  items: DownwardAPIVolumeFile[],
  defaultMode: number,
  node: NodeCapacity,
): Payload {
  const out: Payload = new Map();
  for (const item of items) {
    let value: string;
    if (item.fieldRef) value = podFieldValue(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef) value = resourceFieldValue(pod, item.resourceFieldRef, node);
    else continue;
    out.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
  return out;
}

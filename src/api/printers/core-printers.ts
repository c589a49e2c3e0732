/** Server-side printing for Services, Namespaces, Nodes, Events, ConfigMaps, Secrets, ServiceAccounts, Endpoints. */
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { TablePrinter } from '../resource-def.ts';
import { age } from './human-duration.ts';
import { ageCol, col, nameCol } from './columns.ts';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
const count = (v: unknown): number => (v && typeof v === 'object' ? Object.keys(v).length : 0);

/** Services: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE. */
export const servicePrinter: TablePrinter = {
  columns: [
    nameCol,
    col('Type', 'The type of the service.'),
    col('Cluster-IP', 'The cluster IP of the service.'),
    col('External-IP', 'The external IP of the service.'),
    col('Port(s)', 'The ports of the service.'),
    ageCol,
    col('Selector', 'The label selector of the service.', 1),
  ],
  cells: (obj, now) => {
    const s = obj as Obj;
    const spec = (s.spec ?? {}) as {
      type?: string;
      clusterIP?: string;
      externalIPs?: string[];
      externalName?: string;
      ports?: { port: number; nodePort?: number; protocol?: string }[];
      selector?: Record<string, string>;
    };
    const type = spec.type ?? 'ClusterIP';
    const ingress = (
      (s.status?.['loadBalancer'] as { ingress?: { ip?: string; hostname?: string }[] } | undefined)
        ?.ingress ?? []
    ).map((i) => i.ip ?? i.hostname ?? '');
    let external = '<none>';
    if (type === 'ExternalName') external = spec.externalName ?? '<none>';
    else if (type === 'LoadBalancer')
      external = [...ingress, ...(spec.externalIPs ?? [])].join(',') || '<pending>';
    else if (spec.externalIPs?.length) external = spec.externalIPs.join(',');
    const ports =
      (spec.ports ?? [])
        .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
        .join(',') || '<none>';
    const selector =
      Object.entries(spec.selector ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>';
    return [
      s.metadata.name,
      type,
      spec.clusterIP || '<none>',
      external,
      ports,
      age(s.metadata.creationTimestamp, now),
      selector,
    ];
  },
};

/** Namespaces: STATUS AGE. */
export const namespacePrinter: TablePrinter = {
  columns: [nameCol, col('Status', 'The status of the namespace'), ageCol],
  cells: (obj, now) => [
    obj.metadata.name,
    (obj as Obj).status?.['phase'] ?? '',
    age(obj.metadata.creationTimestamp, now),
  ],
};

/** Nodes: STATUS ROLES AGE VERSION (+ wide addresses and node info). */
export const nodePrinter: TablePrinter = {
  columns: [
    nameCol,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    ageCol,
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of internal IPs for the node.', 1),
    col('External-IP', 'List of external IPs for the node.', 1),
    col('OS-Image', 'OS image reported by the node.', 1),
    col('Kernel-Version', 'Kernel version reported by the node.', 1),
    col('Container-Runtime', 'Container runtime reported by the node.', 1),
  ],
  cells: (obj, now) => {
    const n = obj as Obj;
    const conds =
      (n.status?.['conditions'] as { type: string; status: string }[] | undefined) ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    let status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
    if (n.spec?.['unschedulable']) status += ',SchedulingDisabled';
    const roles = Object.keys(n.metadata.labels ?? {})
      .filter((k) => k.startsWith('node-role.kubernetes.io/'))
      .map((k) => k.slice('node-role.kubernetes.io/'.length))
      .sort();
    const info = (n.status?.['nodeInfo'] as Record<string, string> | undefined) ?? {};
    const addr = (t: string): string =>
      ((n.status?.['addresses'] as { type: string; address: string }[] | undefined) ?? [])
        .filter((a) => a.type === t)
        .map((a) => a.address)
        .join(',') || '<none>';
    return [
      n.metadata.name,
      status,
      roles.join(',') || '<none>',
      age(n.metadata.creationTimestamp, now),
      info['kubeletVersion'] ?? '',
      addr('InternalIP'),
      addr('ExternalIP'),
      info['osImage'] ?? '<unknown>',
      info['kernelVersion'] ?? '<unknown>',
      info['containerRuntimeVersion'] ?? '<unknown>',
    ];
  },
};

/** Events: LAST SEEN TYPE REASON OBJECT MESSAGE. */
export const eventPrinter: TablePrinter = {
  columns: [
    col('Last Seen', 'Time when last event occurred'),
    col('Type', 'Type of this event (Normal, Warning)'),
    col('Reason', 'Reason of this event'),
    col('Object', 'The object this event is about'),
    col('Subobject', 'The subobject this event is about', 1),
    col('Source', 'The component reporting this event', 1),
    col('Message', 'The message of this event'),
    col('First Seen', 'Time when first event occurred', 1),
    col('Count', 'Number of times this event occurred', 1),
    col('Name', 'The name of this event', 1, 'name'),
  ],
  cells: (obj, now) => {
    const e = obj as Obj & Record<string, unknown>;
    const io =
      (e['involvedObject'] as { kind?: string; name?: string; fieldPath?: string } | undefined) ??
      {};
    const src = (e['source'] as { component?: string; host?: string } | undefined) ?? {};
    const last =
      (e['lastTimestamp'] as string | undefined) ??
      (e['eventTime'] as string | undefined) ??
      e.metadata.creationTimestamp;
    const first = (e['firstTimestamp'] as string | undefined) ?? last;
    const cnt = (e['count'] as number | undefined) ?? 1;
    const lastSeen =
      cnt > 1 ? `${age(last, now)} (x${cnt} over ${age(first, now)})` : age(last, now);
    return [
      lastSeen,
      e['type'] ?? '',
      e['reason'] ?? '',
      `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
      io.fieldPath ?? '',
      [src.component, src.host].filter(Boolean).join(', '),
      e['message'] ?? '',
      age(first, now),
      cnt,
      e.metadata.name,
    ];
  },
};

/** ConfigMaps: DATA AGE. */
export const configMapPrinter: TablePrinter = {
  columns: [nameCol, col('Data', 'Number of data entries'), ageCol],
  cells: (obj, now) => [
    obj.metadata.name,
    count(obj['data']) + count(obj['binaryData']),
    age(obj.metadata.creationTimestamp, now),
  ],
};

/** Secrets: TYPE DATA AGE. */
export const secretPrinter: TablePrinter = {
  columns: [
    nameCol,
    col('Type', 'The type of secret'),
    col('Data', 'Number of data entries'),
    ageCol,
  ],
  cells: (obj, now) => [
    obj.metadata.name,
    obj['type'] ?? '',
    count(obj['data']),
    age(obj.metadata.creationTimestamp, now),
  ],
};

/** ServiceAccounts: SECRETS AGE. */
export const serviceAccountPrinter: TablePrinter = {
  columns: [nameCol, col('Secrets', 'Number of secrets'), ageCol],
  cells: (obj, now) => [
    obj.metadata.name,
    Array.isArray(obj['secrets']) ? (obj['secrets'] as unknown[]).length : 0,
    age(obj.metadata.creationTimestamp, now),
  ],
};

/** Endpoints: ENDPOINTS AGE. */
export const endpointsPrinter: TablePrinter = {
  columns: [nameCol, col('Endpoints', 'Endpoints'), ageCol],
  cells: (obj, now) => {
    const subsets =
      (obj['subsets'] as
        { addresses?: { ip: string }[]; ports?: { port: number }[] }[] | undefined) ?? [];
    const all = subsets.flatMap((s) =>
      (s.addresses ?? []).flatMap((a) =>
        s.ports?.length ? s.ports.map((p) => `${a.ip}:${p.port}`) : [a.ip],
      ),
    );
    const shown =
      all.length > 3
        ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...`
        : all.join(',') || '<none>';
    return [obj.metadata.name, shown, age(obj.metadata.creationTimestamp, now)];
  },
};

/** Kinds without their own printer: NAME AGE. */
export const defaultPrinter: TablePrinter = {
  columns: [nameCol, ageCol],
  cells: (obj, now) => [obj.metadata.name, age(obj.metadata.creationTimestamp, now)],
};

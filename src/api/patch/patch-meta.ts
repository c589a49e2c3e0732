/**
 * podbay's own table of patch metadata for the built-in kinds it serves: which lists merge by
 * which key (strategic merge patch) and how server-side apply identifies list items and
 * ownership units. Fields not listed behave as upstream's defaults: objects merge key by key,
 * lists are replaced (strategic) or owned as a whole (apply).
 */

/** How one list field is patched and tracked. */
export interface ListMeta {
  /** Strategic merge: `merge` merges items (by `mergeKey`, or as a set of primitives). */
  strategy: 'merge' | 'replace';
  /** The strategic-merge-patch key that identifies an item (`name`, `containerPort`). */
  mergeKey?: string;
  /** Server-side apply list type: items keyed (`map`), primitives as a set, or the whole list. */
  listType: 'map' | 'set' | 'atomic';
  /** Server-side apply item keys (`x-kubernetes-list-map-keys`). */
  keys?: string[];
  /** Defaults for item keys that the server fills in (container port `protocol`). */
  keyDefaults?: Record<string, unknown>;
  /** Metadata of each item. */
  item?: FieldMeta;
}

/** Patch metadata of one field. */
export interface FieldMeta {
  /** Known sub-fields of an object. */
  fields?: Record<string, FieldMeta>;
  /** A string-keyed map (labels, data): each entry is tracked on its own and the map gets `.`. */
  map?: boolean;
  /** The value is owned as one unit by server-side apply (label selectors, `nodeSelector`). */
  atomic?: boolean;
  /** The field's strategy includes `retainKeys` (volume sources, deployment strategy). */
  retainKeys?: boolean;
  /** List handling, when the field is a list. */
  list?: ListMeta;
}

const map: FieldMeta = { map: true };

function keyed(key: string, item?: FieldMeta, extra?: Partial<ListMeta>): FieldMeta {
  return {
    list: {
      strategy: 'merge',
      mergeKey: key,
      listType: 'map',
      keys: [key],
      ...(item ? { item } : {}),
      ...extra,
    },
  };
}

const set: FieldMeta = { list: { strategy: 'merge', listType: 'set' } };

const conditions = keyed('type');

/** `metadata` of every object. */
export const objectMetaMeta: FieldMeta = {
  fields: {
    labels: map,
    annotations: map,
    finalizers: set,
    ownerReferences: keyed('uid'),
  },
};

const labelSelector: FieldMeta = { atomic: true };

const resources: FieldMeta = {
  fields: { limits: map, requests: map, claims: keyed('name', undefined, { strategy: 'replace' }) },
};

const container: FieldMeta = {
  fields: {
    env: keyed('name'),
    ports: keyed('containerPort', undefined, {
      keys: ['containerPort', 'protocol'],
      keyDefaults: { protocol: 'TCP' },
    }),
    volumeMounts: keyed('mountPath'),
    volumeDevices: keyed('devicePath'),
    resizePolicy: { list: { strategy: 'replace', listType: 'atomic' } },
    resources,
  },
};

const volume: FieldMeta = { retainKeys: true };

/** `spec` of a Pod (also inside every pod template). */
export const podSpecMeta: FieldMeta = {
  fields: {
    containers: keyed('name', container),
    initContainers: keyed('name', container),
    ephemeralContainers: keyed('name', container),
    volumes: keyed('name', volume),
    imagePullSecrets: keyed('name'),
    hostAliases: keyed('ip'),
    topologySpreadConstraints: keyed('topologyKey', undefined, {
      keys: ['topologyKey', 'whenUnsatisfiable'],
    }),
    schedulingGates: keyed('name'),
    resourceClaims: keyed('name', undefined, { item: { retainKeys: true } }),
    nodeSelector: { ...map, atomic: true },
    overhead: map,
  },
};

const podStatus: FieldMeta = {
  fields: { conditions, podIPs: keyed('ip'), hostIPs: keyed('ip') },
};

const podTemplateSpec: FieldMeta = { fields: { metadata: objectMetaMeta, spec: podSpecMeta } };

const workloadStatus: FieldMeta = { fields: { conditions } };

const servicePort: ListMeta = {
  strategy: 'merge',
  mergeKey: 'port',
  listType: 'map',
  keys: ['port', 'protocol'],
  keyDefaults: { protocol: 'TCP' },
};

const roots: Record<string, FieldMeta> = {
  Pod: { fields: { spec: podSpecMeta, status: podStatus } },
  PodTemplate: { fields: { template: podTemplateSpec } },
  Service: {
    fields: {
      spec: { fields: { ports: { list: servicePort }, selector: { ...map, atomic: true } } },
      status: { fields: { conditions } },
    },
  },
  ConfigMap: { fields: { data: map, binaryData: map } },
  Secret: { fields: { data: map, stringData: map } },
  Namespace: { fields: { status: { fields: { conditions } } } },
  Node: {
    fields: {
      spec: { fields: { podCIDRs: set } },
      status: {
        fields: {
          conditions,
          addresses: keyed('type'),
          capacity: map,
          allocatable: map,
        },
      },
    },
  },
  ServiceAccount: { fields: { secrets: keyed('name') } },
  Event: {},
  Endpoints: {},
  Deployment: {
    fields: {
      spec: {
        fields: {
          selector: labelSelector,
          template: podTemplateSpec,
          strategy: { retainKeys: true },
        },
      },
      status: workloadStatus,
    },
  },
  ReplicaSet: {
    fields: {
      spec: { fields: { selector: labelSelector, template: podTemplateSpec } },
      status: workloadStatus,
    },
  },
  StatefulSet: {
    fields: {
      spec: {
        fields: {
          selector: labelSelector,
          template: podTemplateSpec,
          updateStrategy: { retainKeys: true },
        },
      },
      status: workloadStatus,
    },
  },
  DaemonSet: {
    fields: {
      spec: {
        fields: {
          selector: labelSelector,
          template: podTemplateSpec,
          updateStrategy: { retainKeys: true },
        },
      },
      status: workloadStatus,
    },
  },
  Job: {
    fields: {
      spec: { fields: { selector: labelSelector, template: podTemplateSpec } },
      status: workloadStatus,
    },
  },
};

/** Kinds whose `status` is written through the status subresource, not the main resource. */
export const kindsWithStatus = new Set([
  'Pod',
  'Service',
  'Namespace',
  'Node',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
]);

/** The root metadata for a kind podbay knows, or `undefined` (then plain merge semantics apply). */
export function schemaForKind(kind: string | undefined): FieldMeta | undefined {
  const root = kind ? roots[kind] : undefined;
  if (!root) return undefined;
  return { fields: { ...root.fields, metadata: objectMetaMeta } };
}

/** The metadata of field `name` inside `parent`, or an empty (default) one. */
export function fieldMeta(parent: FieldMeta | undefined, name: string): FieldMeta {
  return parent?.fields?.[name] ?? {};
}

/** The metadata shared by the values of a list or map. */
export function itemMeta(meta: FieldMeta): FieldMeta {
  return meta.list?.item ?? {};
}

/** core/v1 Services: defaults, ClusterIP and NodePort allocation, validation. */
import { fieldError, type FieldError } from '../../k8s/field-errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import { dns1035LabelErrors } from '../../k8s/validation/names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../k8s/validation/object-meta.ts';
import type { ResourceDef, StrategyContext } from '../resource-def.ts';

interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  selector?: Record<string, string>;
  sessionAffinity?: string;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  internalTrafficPolicy?: string;
  externalTrafficPolicy?: string;
  externalName?: string;
}

/** The service CIDR (10.96.0.0/12, as kubeadm's default). */
const serviceBase = (10 << 24) | (96 << 16);
const serviceSize = 1 << 20;

const ipString = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

function allocateClusterIP(ctx: StrategyContext): string {
  const used = new Set(
    ctx.list('services').flatMap((s) => (s['spec'] as ServiceSpec | undefined)?.clusterIPs ?? []),
  );
  for (let i = 0; i < 5000; i++) {
    const candidate = ipString(serviceBase + 10 + Math.floor(Math.random() * (serviceSize - 20)));
    if (!used.has(candidate)) return candidate;
  }
  throw new Error('service IP range is full');
}

function allocateNodePort(ctx: StrategyContext, taken: Set<number>): number {
  for (const s of ctx.list('services'))
    for (const p of (s['spec'] as ServiceSpec | undefined)?.ports ?? [])
      if (p.nodePort) taken.add(p.nodePort);
  for (let i = 0; i < 5000; i++) {
    const port = 30000 + Math.floor(Math.random() * 2768);
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('node port range is full');
}

function defaultSpec(spec: ServiceSpec): void {
  spec.type ??= 'ClusterIP';
  if (spec.type !== 'ExternalName') {
    spec.sessionAffinity ??= 'None';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer')
    spec.externalTrafficPolicy ??= 'Cluster';
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
}

function validateSpec(spec: ServiceSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec) return [fieldError.required('spec')];
  const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
  if (spec.type && !types.includes(spec.type))
    errs.push(fieldError.notSupported('spec.type', spec.type, types));
  if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && !spec.ports?.length)
    errs.push(fieldError.required('spec.ports'));
  const names = new Set<string>();
  (spec.ports ?? []).forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if ((spec.ports?.length ?? 0) > 1 && !p.name) errs.push(fieldError.required(`${path}.name`));
    if (p.name) {
      if (names.has(p.name)) errs.push(fieldError.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    if (!p.port) errs.push(fieldError.required(`${path}.port`));
    else if (p.port < 1 || p.port > 65535)
      errs.push(
        fieldError.invalid(`${path}.port`, p.port, 'must be between 1 and 65535, inclusive'),
      );
    if (typeof p.targetPort === 'number' && (p.targetPort < 1 || p.targetPort > 65535)) {
      errs.push(
        fieldError.invalid(
          `${path}.targetPort`,
          p.targetPort,
          'must be between 1 and 65535, inclusive',
        ),
      );
    }
    const protocols = ['SCTP', 'TCP', 'UDP'];
    if (p.protocol && !protocols.includes(p.protocol))
      errs.push(fieldError.notSupported(`${path}.protocol`, p.protocol, protocols));
  });
  if (spec.sessionAffinity && !['ClientIP', 'None'].includes(spec.sessionAffinity)) {
    errs.push(
      fieldError.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']),
    );
  }
  return errs;
}

/** The Service resource. */
export const services: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'services',
  kind: 'Service',
  listKind: 'ServiceList',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  hasStatus: true,
  subresources: [
    {
      name: 'proxy',
      kind: { group: '', version: 'v1', kind: 'ServiceProxyOptions' },
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    },
    { name: 'status', verbs: ['get', 'patch', 'update'] },
  ],
  prepareForCreate(obj: KubeObject, ctx) {
    const spec = (obj['spec'] as ServiceSpec | undefined) ?? {};
    obj['spec'] = spec;
    defaultSpec(spec);
    if (spec.type !== 'ExternalName') {
      if (!spec.clusterIP) spec.clusterIP = allocateClusterIP(ctx);
      spec.clusterIPs ??= [spec.clusterIP];
      if (spec.clusterIP !== 'None' || spec.ipFamilies === undefined) {
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      const taken = new Set<number>();
      for (const p of spec.ports ?? []) p.nodePort ??= allocateNodePort(ctx, taken);
    }
    obj['status'] = { loadBalancer: {} };
  },
  defaults(obj) {
    const spec = obj['spec'] as ServiceSpec | undefined;
    if (spec) defaultSpec(spec);
  },
  prepareForUpdate(obj, old) {
    obj['status'] = old['status'];
    const spec = obj['spec'] as ServiceSpec | undefined;
    const was = old['spec'] as ServiceSpec | undefined;
    if (spec && was) {
      if (!spec.clusterIP && was.clusterIP) spec.clusterIP = was.clusterIP;
      if (!spec.clusterIPs && was.clusterIPs) spec.clusterIPs = was.clusterIPs;
      if (!spec.ipFamilies && was.ipFamilies) spec.ipFamilies = was.ipFamilies;
      if (!spec.ipFamilyPolicy && was.ipFamilyPolicy) spec.ipFamilyPolicy = was.ipFamilyPolicy;
    }
  },
  prepareForStatusUpdate(obj, old) {
    obj['spec'] = old['spec'];
  },
  validateCreate: (o) => [
    ...validateObjectMeta(o.metadata, true, dns1035LabelErrors),
    ...validateSpec(o['spec'] as ServiceSpec | undefined),
  ],
  validateUpdate(o, old) {
    const errs = [
      ...validateObjectMetaUpdate(o.metadata, old.metadata),
      ...validateSpec(o['spec'] as ServiceSpec | undefined),
    ];
    const ip = (o['spec'] as ServiceSpec | undefined)?.clusterIP;
    const was = (old['spec'] as ServiceSpec | undefined)?.clusterIP;
    if (was && ip !== was)
      errs.push(fieldError.invalid('spec.clusterIPs[0]', ip ?? '', 'may not change once set'));
    return errs;
  },
};

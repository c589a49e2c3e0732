/** core/v1 Pods: defaults, admission, validation, update rules, status and field selectors. */
import { fieldError, type FieldError } from '../../k8s/field-errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { Pod, PodSpec } from '../../k8s/types/pod.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../k8s/validation/object-meta.ts';
import { dns1123SubdomainErrors } from '../../k8s/validation/names.ts';
import { jsonEqual } from '../registry/object-meta.ts';
import { allVerbs, type ResourceDef } from '../resource-def.ts';
import { admitNewPod, defaultPodSpec } from './pod-defaults.ts';
import { validatePodSpec } from './pod-validation.ts';

/** The pod's QoS class, as upstream computes it from requests and limits. */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r])))
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const forbiddenUpdate =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Checks that an update changes only what Kubernetes allows in a pod spec. */
export function validatePodSpecUpdate(spec: PodSpec, old: PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (
    spec.activeDeadlineSeconds !== undefined &&
    old.activeDeadlineSeconds !== undefined &&
    spec.activeDeadlineSeconds > old.activeDeadlineSeconds
  ) {
    errs.push(
      fieldError.invalid(
        'spec.activeDeadlineSeconds',
        spec.activeDeadlineSeconds,
        'must be less than or equal to previous value',
      ),
    );
  }
  if (old.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds === undefined) {
    errs.push(
      fieldError.invalid(
        'spec.activeDeadlineSeconds',
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }
  const probe = structuredClone(spec);
  const keepImage = (c: PodSpec['containers'][number], oldImage: string | undefined): void => {
    if (oldImage !== undefined) c.image = oldImage;
  };
  probe.containers.forEach((c, i) => keepImage(c, old.containers[i]?.image));
  probe.initContainers?.forEach((c, i) => keepImage(c, old.initContainers?.[i]?.image));
  if (old.activeDeadlineSeconds !== undefined)
    probe.activeDeadlineSeconds = old.activeDeadlineSeconds;
  else delete probe.activeDeadlineSeconds;
  const oldTolerations = old.tolerations ?? [];
  if (oldTolerations.every((t) => (spec.tolerations ?? []).some((n) => jsonEqual(n, t)))) {
    probe.tolerations = oldTolerations;
    if (old.tolerations === undefined) delete probe.tolerations;
  }
  if (old.schedulingGates?.length) probe.schedulingGates = spec.schedulingGates ?? [];
  if (!jsonEqual(probe, old)) errs.push(fieldError.forbidden('spec', forbiddenUpdate));
  return errs;
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

/** The Pod resource. */
export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  listKind: 'PodList',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  verbs: allVerbs,
  hasStatus: true,
  subresources: [
    {
      name: 'attach',
      kind: { group: '', version: 'v1', kind: 'PodAttachOptions' },
      verbs: ['create', 'get'],
    },
    { name: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
    { name: 'ephemeralcontainers', verbs: ['get', 'patch', 'update'] },
    {
      name: 'eviction',
      kind: { group: 'policy', version: 'v1', kind: 'Eviction' },
      verbs: ['create'],
    },
    {
      name: 'exec',
      kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      verbs: ['create', 'get'],
    },
    { name: 'log', verbs: ['get'] },
    {
      name: 'portforward',
      kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
      verbs: ['create', 'get'],
    },
    {
      name: 'proxy',
      kind: { group: '', version: 'v1', kind: 'PodProxyOptions' },
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    },
    { name: 'resize', verbs: ['get', 'patch', 'update'] },
    { name: 'status', verbs: ['get', 'patch', 'update'] },
  ],
  prepareForCreate(obj) {
    const pod = obj as Pod;
    pod.spec ??= { containers: [] };
    defaultPodSpec(pod.spec);
    admitNewPod(pod);
    pod.status = { phase: 'Pending', qosClass: qosClass(pod.spec) };
  },
  defaults(obj) {
    const pod = obj as Pod;
    if (pod.spec) defaultPodSpec(pod.spec);
  },
  prepareForUpdate(obj, old) {
    obj['status'] = old['status'];
  },
  prepareForStatusUpdate(obj, old) {
    obj['spec'] = old['spec'];
    const m = obj.metadata;
    const o = old.metadata;
    m.labels = o.labels ?? {};
    if (!o.labels) delete m.labels;
    if (o.annotations) m.annotations = o.annotations;
    else delete m.annotations;
    if (o.finalizers) m.finalizers = o.finalizers;
    else delete m.finalizers;
    if (o.ownerReferences) m.ownerReferences = o.ownerReferences;
  },
  validateCreate(obj) {
    const pod = obj as Pod;
    return [
      ...validateObjectMeta(pod.metadata, true, dns1123SubdomainErrors),
      ...validatePodSpec(pod.spec, 'spec'),
    ];
  },
  validateUpdate(obj, old) {
    const pod = obj as Pod;
    const errs = [
      ...validateObjectMetaUpdate(pod.metadata, old.metadata),
      ...validateObjectMeta(pod.metadata, true, () => []),
    ];
    errs.push(...validatePodSpec(pod.spec, 'spec'));
    if (!errs.length) errs.push(...validatePodSpecUpdate(pod.spec, (old as Pod).spec));
    return errs;
  },
  fields(obj: KubeObject) {
    const pod = obj as Pod;
    return {
      'spec.nodeName': str(pod.spec?.nodeName),
      'spec.restartPolicy': str(pod.spec?.restartPolicy),
      'spec.schedulerName': str(pod.spec?.schedulerName),
      'spec.serviceAccountName': str(pod.spec?.serviceAccountName),
      'spec.hostNetwork': pod.spec?.hostNetwork ? 'true' : 'false',
      'status.phase': str(pod.status?.phase),
      'status.podIP': str(pod.status?.podIP),
      'status.nominatedNodeName': str(pod.status?.nominatedNodeName),
    };
  },
};

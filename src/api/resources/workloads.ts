/** apps/v1 Deployments and ReplicaSets, batch/v1 Jobs: defaults, validation, status and scale. */
import { fieldError, type FieldError } from '../../k8s/field-errors.ts';
import { labelSelectorFromObject } from '../../k8s/selectors/label-selector.ts';
import type { KubeObject, LabelSelector } from '../../k8s/types/meta.ts';
import type { PodTemplateSpec } from '../../k8s/types/pod.ts';
import { dns1123SubdomainErrors } from '../../k8s/validation/names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../k8s/validation/object-meta.ts';
import { allVerbs, type ResourceDef } from '../resource-def.ts';
import { defaultPodSpec } from './pod-defaults.ts';
import { validatePodSpec } from './pod-validation.ts';

interface WorkloadSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  [k: string]: unknown;
}

const scaleSub = {
  name: 'scale',
  kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  verbs: ['get', 'patch', 'update'],
};
const statusSub = { name: 'status', verbs: ['get', 'patch', 'update'] };

function specOf(o: KubeObject): WorkloadSpec {
  return (o['spec'] as WorkloadSpec | undefined) ?? {};
}

function defaultTemplate(spec: WorkloadSpec): void {
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
  if (spec.template) spec.template.metadata ??= {};
  if (spec.template?.metadata && spec.template.metadata.creationTimestamp === undefined)
    spec.template.metadata.creationTimestamp = null;
}

function validateTemplate(spec: WorkloadSpec, restartPolicies: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec.selector) errs.push(fieldError.required('spec.selector'));
  if (!spec.template) return [...errs, fieldError.required('spec.template')];
  const labels = spec.template.metadata?.labels ?? {};
  if (spec.selector) {
    let matches: boolean;
    try {
      const sel = labelSelectorFromObject(spec.selector);
      if (sel.empty)
        errs.push(
          fieldError.invalid(
            'spec.selector',
            spec.selector,
            'empty selector is invalid for deployment',
          ),
        );
      matches = sel.matches(labels);
    } catch (err: unknown) {
      errs.push(
        fieldError.invalid(
          'spec.selector',
          spec.selector,
          err instanceof Error ? err.message : String(err),
        ),
      );
      matches = true;
    }
    if (!matches) {
      const shown = `map[string]string{${Object.entries(labels)
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
        .join(', ')}}`;
      errs.push({
        type: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        detail: `${shown}: \`selector\` does not match template \`labels\``,
      });
    }
  }
  errs.push(...validatePodSpec(spec.template.spec, 'spec.template.spec'));
  const rp = spec.template.spec.restartPolicy;
  if (rp && !restartPolicies.includes(rp))
    errs.push(fieldError.notSupported('spec.template.spec.restartPolicy', rp, restartPolicies));
  if (spec.replicas !== undefined && spec.replicas < 0)
    errs.push(
      fieldError.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'),
    );
  return errs;
}

function keepStatus(o: KubeObject, old: KubeObject): void {
  o['status'] = old['status'];
}
function keepSpec(o: KubeObject, old: KubeObject): void {
  o['spec'] = old['spec'];
}

function workload(base: Omit<ResourceDef, 'verbs'>, restartPolicies: string[]): ResourceDef {
  return {
    verbs: allVerbs,
    hasStatus: true,
    ...base,
    prepareForCreate(o, ctx) {
      o['status'] = {};
      base.prepareForCreate?.(o, ctx);
    },
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate: keepSpec,
    validateCreate: (o) => [
      ...validateObjectMeta(o.metadata, true, dns1123SubdomainErrors),
      ...validateTemplate(specOf(o), restartPolicies),
    ],
    validateUpdate: (o, old) => [
      ...validateObjectMetaUpdate(o.metadata, old.metadata),
      ...validateTemplate(specOf(o), restartPolicies),
      ...(base.validateUpdate?.(o, old, undefined as never) ?? []),
    ],
  };
}

/** Deployments. */
export const deployments: ResourceDef = workload(
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [scaleSub, statusSub],
    defaults(o) {
      const spec = specOf(o);
      o['spec'] = spec;
      spec.replicas ??= 1;
      spec['revisionHistoryLimit'] ??= 10;
      spec['progressDeadlineSeconds'] ??= 600;
      const strategy =
        (spec['strategy'] as
          { type?: string; rollingUpdate?: Record<string, unknown> } | undefined) ?? {};
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate')
        strategy.rollingUpdate = {
          maxUnavailable: '25%',
          maxSurge: '25%',
          ...strategy.rollingUpdate,
        };
      spec['strategy'] = strategy;
      defaultTemplate(spec);
    },
  },
  ['Always'],
);

/** ReplicaSets. */
export const replicaSets: ResourceDef = workload(
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    listKind: 'ReplicaSetList',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [scaleSub, statusSub],
    defaults(o) {
      const spec = specOf(o);
      o['spec'] = spec;
      spec.replicas ??= 1;
      defaultTemplate(spec);
    },
    fields: (o) => ({
      'status.replicas': String((o['status'] as { replicas?: number } | undefined)?.replicas ?? 0),
    }),
  },
  ['Always'],
);

/** Jobs: a generated selector and labels tie the pods to the Job's uid. */
export const jobs: ResourceDef = workload(
  {
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    kind: 'Job',
    listKind: 'JobList',
    singular: 'job',
    namespaced: true,
    categories: ['all'],
    subresources: [statusSub],
    prepareForCreate(o) {
      const spec = specOf(o);
      o['spec'] = spec;
      if (spec['manualSelector'] === true) return;
      const uid = o.metadata.uid ?? '';
      const name = o.metadata.name ?? '';
      spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      spec.template ??= { spec: { containers: [] } };
      spec.template.metadata = {
        ...spec.template.metadata,
        labels: {
          ...spec.template.metadata?.labels,
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': name,
          'controller-uid': uid,
          'job-name': name,
        },
      };
    },
    defaults(o) {
      const spec = specOf(o);
      o['spec'] = spec;
      if (spec['completions'] === undefined && spec['parallelism'] === undefined)
        spec['completions'] = 1;
      spec['parallelism'] ??= 1;
      spec['backoffLimit'] ??= 6;
      spec['completionMode'] ??= 'NonIndexed';
      spec['suspend'] ??= false;
      spec['podReplacementPolicy'] ??= 'TerminatingOrFailed';
      defaultTemplate(spec);
    },
    validateUpdate(o, old) {
      const errs: FieldError[] = [];
      if (JSON.stringify(specOf(o).template) !== JSON.stringify(specOf(old).template)) {
        errs.push(fieldError.invalid('spec.template', specOf(o).template, 'field is immutable'));
      }
      return errs;
    },
    fields: (o) => ({
      'status.successful': String(
        (o['status'] as { succeeded?: number } | undefined)?.succeeded ?? 0,
      ),
    }),
  },
  ['OnFailure', 'Never'],
);

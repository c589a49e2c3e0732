/** Server-side printing for Deployments, ReplicaSets and Jobs. */
import { labelSelectorObjectString } from '../../k8s/selectors/label-selector.ts';
import type { KubeObject, LabelSelector } from '../../k8s/types/meta.ts';
import type { PodTemplateSpec } from '../../k8s/types/pod.ts';
import type { TablePrinter } from '../resource-def.ts';
import { age, humanDuration } from './human-duration.ts';
import { col, nameCol } from './columns.ts';

interface Workload extends KubeObject {
  spec?: {
    replicas?: number;
    completions?: number;
    selector?: LabelSelector;
    template?: PodTemplateSpec;
    suspend?: boolean;
  };
  status?: Record<string, unknown>;
}

const n = (o: Workload, k: string): number => (o.status?.[k] as number | undefined) ?? 0;
const containers = (o: Workload): string =>
  (o.spec?.template?.spec.containers ?? []).map((c) => c.name).join(',');
const images = (o: Workload): string =>
  (o.spec?.template?.spec.containers ?? []).map((c) => c.image ?? '').join(',');
const selector = (o: Workload): string => labelSelectorObjectString(o.spec?.selector) || '<none>';
const wide = [
  col('Containers', 'Names of each container in the template.', 1),
  col('Images', 'Images referenced by each container in the template.', 1),
  col('Selector', 'Label selector for pods.', 1),
];

/** Deployments: READY UP-TO-DATE AVAILABLE AGE. */
export const deploymentPrinter: TablePrinter = {
  columns: [
    nameCol,
    col('Ready', 'Number of the pod with ready state'),
    col(
      'Up-to-date',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    col(
      'Available',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    col('Age', 'How long ago the object was created.'),
    ...wide,
  ],
  cells: (obj, now) => {
    const d = obj as Workload;
    return [
      d.metadata.name,
      `${n(d, 'readyReplicas')}/${d.spec?.replicas ?? 0}`,
      n(d, 'updatedReplicas'),
      n(d, 'availableReplicas'),
      age(d.metadata.creationTimestamp, now),
      containers(d),
      images(d),
      selector(d),
    ];
  },
};

/** ReplicaSets: DESIRED CURRENT READY AGE. */
export const replicaSetPrinter: TablePrinter = {
  columns: [
    nameCol,
    col('Desired', 'Number of desired pods.', 0),
    col('Current', 'Number of actual replicas.'),
    col('Ready', 'Number of ready replicas.'),
    col('Age', 'How long ago the object was created.'),
    ...wide,
  ],
  cells: (obj, now) => {
    const r = obj as Workload;
    return [
      r.metadata.name,
      r.spec?.replicas ?? 0,
      n(r, 'replicas'),
      n(r, 'readyReplicas'),
      age(r.metadata.creationTimestamp, now),
      containers(r),
      images(r),
      selector(r),
    ];
  },
};

function jobStatus(j: Workload): string {
  const conds = (j.status?.['conditions'] as { type: string; status: string }[] | undefined) ?? [];
  const has = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (j.spec?.suspend || has('Suspended')) return 'Suspended';
  return 'Running';
}

/** Jobs: STATUS COMPLETIONS DURATION AGE. */
export const jobPrinter: TablePrinter = {
  columns: [
    nameCol,
    col('Status', 'Status of the job.'),
    col('Completions', 'The completion status of the job.'),
    col('Duration', 'Time required to complete the job.'),
    col('Age', 'How long ago the object was created.'),
    ...wide,
  ],
  cells: (obj, now) => {
    const j = obj as Workload;
    const completions =
      j.spec?.completions !== undefined
        ? `${n(j, 'succeeded')}/${j.spec.completions}`
        : `${n(j, 'succeeded')}/1 of ${(j.spec as { parallelism?: number } | undefined)?.parallelism ?? 1}`;
    const start = j.status?.['startTime'] as string | undefined;
    const end = (j.status?.['completionTime'] as string | undefined) ?? undefined;
    const duration = start ? humanDuration((end ? Date.parse(end) : now) - Date.parse(start)) : '';
    return [
      j.metadata.name,
      jobStatus(j),
      completions,
      duration,
      age(j.metadata.creationTimestamp, now),
      containers(j),
      images(j),
      selector(j),
    ];
  },
};

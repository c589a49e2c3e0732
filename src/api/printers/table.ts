/** Builds meta.k8s.io/v1 Tables for `kubectl get`, with PartialObjectMetadata rows. */
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { TableRenderer } from '../handlers/negotiation.ts';
import type { TablePrinter } from '../resource-def.ts';
import {
  configMapPrinter,
  defaultPrinter,
  endpointsPrinter,
  eventPrinter,
  namespacePrinter,
  nodePrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core-printers.ts';
import { podPrinter } from './pod-printer.ts';
import { deploymentPrinter, jobPrinter, replicaSetPrinter } from './workload-printers.ts';

/** Printers by resource (plural) name. */
export const printers: Record<string, TablePrinter> = {
  pods: podPrinter,
  services: servicePrinter,
  namespaces: namespacePrinter,
  nodes: nodePrinter,
  events: eventPrinter,
  configmaps: configMapPrinter,
  secrets: secretPrinter,
  serviceaccounts: serviceAccountPrinter,
  endpoints: endpointsPrinter,
  deployments: deploymentPrinter,
  replicasets: replicaSetPrinter,
  jobs: jobPrinter,
};

function rowObject(obj: KubeObject, include: 'None' | 'Metadata' | 'Object'): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** The Table renderer the API server uses. */
export const renderTable: TableRenderer = (def, objects, options) => {
  const printer = def.table ?? printers[def.resource] ?? defaultPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: options.resourceVersion ?? '' },
    ...(options.noHeaders ? {} : { columnDefinitions: printer.columns }),
    rows: objects.map((o) => {
      const object = rowObject(o, options.includeObject);
      return { cells: printer.cells(o, options.now), ...(object ? { object } : {}) };
    }),
  };
};

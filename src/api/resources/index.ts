/** Every resource podbay serves, in upstream discovery order. */
import type { ResourceDef } from '../resource-def.ts';
import { pods } from './pods.ts';
import { services } from './services.ts';
import {
  configMaps,
  endpoints,
  events,
  namespaces,
  nodes,
  secrets,
  serviceAccounts,
} from './simple-kinds.ts';
import { deployments, jobs, replicaSets } from './workloads.ts';

/** The served resources. */
export const resourceDefs: ResourceDef[] = [
  configMaps,
  endpoints,
  events,
  namespaces,
  nodes,
  pods,
  secrets,
  serviceAccounts,
  services,
  deployments,
  replicaSets,
  jobs,
];

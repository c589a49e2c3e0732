/** Combines a list or watch request's namespace, label and field selectors into one predicate. */
import type { KubeObject } from '../k8s/types/meta.ts';
import { parseLabelSelector } from '../k8s/selectors/label-selector.ts';
import { parseFieldSelector } from '../k8s/selectors/field-selector.ts';
import type { FieldsOf } from './store.ts';

/** The selecting parts of list and watch options. */
export interface FilterOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  fieldsOf?: FieldsOf;
}

/** A predicate on objects; `undefined` when everything matches. */
export type ObjectFilter = ((obj: KubeObject) => boolean) | undefined;

/** The fields every resource can select on. */
function defaultFields(obj: KubeObject): Record<string, string> {
  return {
    'metadata.name': obj.metadata.name ?? '',
    'metadata.namespace': obj.metadata.namespace ?? '',
  };
}

/**
 * Builds the selector predicate (parsing throws BadRequestError). With `includeNamespace`, the
 * namespace is checked too (lists check it through the key range instead).
 */
export function buildObjectFilter(options: FilterOptions, includeNamespace: boolean): ObjectFilter {
  const labels = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
  const fields = options.fieldSelector ? parseFieldSelector(options.fieldSelector) : undefined;
  const namespace = includeNamespace && options.namespace ? options.namespace : undefined;
  const checkLabels = labels && !labels.empty ? labels : undefined;
  const checkFields = fields && !fields.empty ? fields : undefined;
  if (!checkLabels && !checkFields && namespace === undefined) return undefined;
  const fieldsOf = options.fieldsOf;
  return (obj) => {
    if (namespace !== undefined && (obj.metadata.namespace ?? '') !== namespace) return false;
    if (checkLabels && !checkLabels.matches(obj.metadata.labels)) return false;
    if (checkFields) {
      const values = fieldsOf ? { ...defaultFields(obj), ...fieldsOf(obj) } : defaultFields(obj);
      if (!checkFields.matches(values)) return false;
    }
    return true;
  };
}

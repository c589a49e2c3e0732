/**
 * Pod spec validation with kube-apiserver's field paths and wording: container names and
 * images, init-container restart policies and hooks, volumes and mounts, ports, probes, and the
 * pod-level policies. Used for pods and for pod templates (with a path prefix).
 */
import { fieldError, type FieldError } from '../../k8s/field-errors.ts';
import type { Container, PodSpec, Probe } from '../../k8s/types/pod.ts';
import { dns1123LabelErrors, envVarNameErrors } from '../../k8s/validation/names.ts';

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const volumeSources = [
  'emptyDir',
  'hostPath',
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
  'persistentVolumeClaim',
  'nfs',
  'csi',
  'ephemeral',
  'image',
];

function validatePort(field: string, value: number | undefined, required: boolean): FieldError[] {
  if (value === undefined || value === 0) return required ? [fieldError.required(field)] : [];
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    return [fieldError.invalid(field, value, 'must be between 1 and 65535, inclusive')];
  }
  return [];
}

function validateProbe(field: string, p: Probe | undefined): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter(
    (k) => (p as Record<string, unknown>)[k] !== undefined,
  );
  if (handlers.length === 0) errs.push(fieldError.required(field, 'must specify a handler type'));
  else if (handlers.length > 1)
    errs.push(
      fieldError.forbidden(`${field}.${handlers[1]}`, 'may not specify more than 1 handler type'),
    );
  for (const k of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    const v = p[k];
    if (v !== undefined && v < 0)
      errs.push(fieldError.invalid(`${field}.${k}`, v, 'must be greater than or equal to 0'));
  }
  return errs;
}

function validateContainer(
  c: Container,
  path: string,
  volumes: Set<string>,
  kind: 'init' | 'regular',
): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(fieldError.required(`${path}.name`));
  else
    for (const m of dns1123LabelErrors(c.name))
      errs.push(fieldError.invalid(`${path}.name`, c.name, m));
  if (!c.image) errs.push(fieldError.required(`${path}.image`));
  else if (c.image !== c.image.trim())
    errs.push(
      fieldError.invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'),
    );
  if (c.imagePullPolicy && !pullPolicies.includes(c.imagePullPolicy)) {
    errs.push(fieldError.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
  }
  if (
    c.terminationMessagePolicy &&
    !['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy)
  ) {
    errs.push(
      fieldError.notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, [
        'File',
        'FallbackToLogsOnError',
      ]),
    );
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const pp = `${path}.ports[${i}]`;
    if (p.name) {
      if (portNames.has(p.name)) errs.push(fieldError.duplicate(`${pp}.name`, p.name));
      portNames.add(p.name);
      if (p.name.length > 15)
        errs.push(fieldError.invalid(`${pp}.name`, p.name, 'must be no more than 15 characters'));
    }
    errs.push(...validatePort(`${pp}.containerPort`, p.containerPort, true));
    if (p.hostPort) errs.push(...validatePort(`${pp}.hostPort`, p.hostPort, false));
    if (p.protocol && !protocols.includes(p.protocol))
      errs.push(fieldError.notSupported(`${pp}.protocol`, p.protocol, protocols));
  });
  (c.env ?? []).forEach((e, i) => {
    if (!e.name) errs.push(fieldError.required(`${path}.env[${i}].name`));
    for (const m of envVarNameErrors(e.name))
      errs.push(fieldError.invalid(`${path}.env[${i}].name`, e.name, m));
    if (e.value !== undefined && e.value !== '' && e.valueFrom) {
      errs.push(
        fieldError.invalid(
          `${path}.env[${i}].valueFrom`,
          '',
          'may not be specified when `value` is not empty',
        ),
      );
    }
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mp = `${path}.volumeMounts[${i}]`;
    if (!m.name) errs.push(fieldError.required(`${mp}.name`));
    else if (!volumes.has(m.name)) errs.push(fieldError.notFound(`${mp}.name`, m.name));
    if (!m.mountPath) errs.push(fieldError.required(`${mp}.mountPath`));
    else if (mountPaths.has(m.mountPath))
      errs.push(fieldError.invalid(`${mp}.mountPath`, m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.subPath && m.subPath.split('/').includes('..'))
      errs.push(fieldError.invalid(`${mp}.subPath`, m.subPath, "must not contain '..'"));
  });
  const sidecar = kind === 'init' && c.restartPolicy === 'Always';
  if (kind === 'regular' && c.restartPolicy !== undefined) {
    errs.push(
      fieldError.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'),
    );
  }
  if (kind === 'init' && c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
    errs.push(fieldError.notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  if (kind === 'init' && !sidecar) {
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k] !== undefined)
        errs.push(
          fieldError.forbidden(
            `${path}.${k}`,
            'may not be set for init containers without restartPolicy=Always',
          ),
        );
    }
  } else {
    errs.push(...validateProbe(`${path}.livenessProbe`, c.livenessProbe));
    errs.push(...validateProbe(`${path}.readinessProbe`, c.readinessProbe));
    errs.push(...validateProbe(`${path}.startupProbe`, c.startupProbe));
    if (c.livenessProbe?.successThreshold !== undefined && c.livenessProbe.successThreshold !== 1) {
      errs.push(
        fieldError.invalid(
          `${path}.livenessProbe.successThreshold`,
          c.livenessProbe.successThreshold,
          'must be 1',
        ),
      );
    }
  }
  return errs;
}

/** Validates a pod spec; `prefix` is `spec` for pods, `spec.template.spec` for templates. */
export function validatePodSpec(spec: PodSpec, prefix: string): FieldError[] {
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const vp = `${prefix}.volumes[${i}]`;
    if (!v.name) errs.push(fieldError.required(`${vp}.name`));
    else {
      for (const m of dns1123LabelErrors(v.name))
        errs.push(fieldError.invalid(`${vp}.name`, v.name, m));
      if (volumes.has(v.name)) errs.push(fieldError.duplicate(`${vp}.name`, v.name));
      volumes.add(v.name);
    }
    const sources = volumeSources.filter((k) => v[k] !== undefined && v[k] !== null);
    if (sources.length === 0) errs.push(fieldError.required(vp, 'must specify a volume type'));
    else if (sources.length > 1)
      errs.push(
        fieldError.forbidden(`${vp}.${sources[1]}`, 'may not specify more than 1 volume type'),
      );
    if (v.hostPath && !v.hostPath.path) errs.push(fieldError.required(`${vp}.hostPath.path`));
    const hostTypes = [
      '',
      'DirectoryOrCreate',
      'Directory',
      'FileOrCreate',
      'File',
      'Socket',
      'CharDevice',
      'BlockDevice',
    ];
    if (v.hostPath?.type !== undefined && !hostTypes.includes(v.hostPath.type)) {
      errs.push(fieldError.notSupported(`${vp}.hostPath.type`, v.hostPath.type, hostTypes));
    }
  });
  const names = new Set<string>();
  (spec.initContainers ?? []).forEach((c, i) => {
    const path = `${prefix}.initContainers[${i}]`;
    if (c.name && names.has(c.name)) errs.push(fieldError.duplicate(`${path}.name`, c.name));
    names.add(c.name);
    errs.push(...validateContainer(c, path, volumes, 'init'));
  });
  if (!spec.containers || spec.containers.length === 0)
    errs.push(fieldError.required(`${prefix}.containers`));
  (spec.containers ?? []).forEach((c, i) => {
    const path = `${prefix}.containers[${i}]`;
    if (c.name && names.has(c.name)) errs.push(fieldError.duplicate(`${path}.name`, c.name));
    names.add(c.name);
    errs.push(...validateContainer(c, path, volumes, 'regular'));
  });
  if (spec.restartPolicy && !restartPolicies.includes(spec.restartPolicy)) {
    errs.push(
      fieldError.notSupported(`${prefix}.restartPolicy`, spec.restartPolicy, restartPolicies),
    );
  }
  if (spec.dnsPolicy && !dnsPolicies.includes(spec.dnsPolicy))
    errs.push(fieldError.notSupported(`${prefix}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    errs.push(
      fieldError.invalid(
        `${prefix}.terminationGracePeriodSeconds`,
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(
      fieldError.invalid(
        `${prefix}.activeDeadlineSeconds`,
        spec.activeDeadlineSeconds,
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  }
  if (spec.hostname)
    for (const m of dns1123LabelErrors(spec.hostname))
      errs.push(fieldError.invalid(`${prefix}.hostname`, spec.hostname, m));
  return errs;
}

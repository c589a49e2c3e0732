/**
 * podbay's table of the Kubernetes protobuf messages that `kubectl create <generator>` sends:
 * field number → JSON name and type. Written for podbay from the published field numbers of
 * k8s.io/api and apimachinery (only the messages and fields those generators use; unknown
 * fields are skipped, status messages are ignored because the server resets status).
 */

/** A field's type: a scalar, `msg:<Name>`, `map:<valueType>`, or a special encoding. */
export type FieldType =
  | 'string'
  | 'bytes'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'time'
  | 'intorstring'
  | 'quantity'
  | `msg:${string}`
  | `map:${string}`;

/** `[jsonName, type, repeated?]` per field number. */
export type MessageDef = Record<number, [string, FieldType, boolean?]>;

const R = true;

/** The messages, by name. */
export const messages: Record<string, MessageDef> = {
  Unknown: {
    1: ['typeMeta', 'msg:TypeMeta'],
    2: ['raw', 'bytes'],
    3: ['contentEncoding', 'string'],
    4: ['contentType', 'string'],
  },
  TypeMeta: { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] },
  ObjectMeta: {
    1: ['name', 'string'],
    2: ['generateName', 'string'],
    3: ['namespace', 'string'],
    5: ['uid', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['generation', 'int64'],
    8: ['creationTimestamp', 'time'],
    11: ['labels', 'map:string'],
    12: ['annotations', 'map:string'],
    13: ['ownerReferences', 'msg:OwnerReference', R],
    14: ['finalizers', 'string', R],
  },
  OwnerReference: {
    1: ['kind', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
    5: ['apiVersion', 'string'],
    6: ['controller', 'bool'],
    7: ['blockOwnerDeletion', 'bool'],
  },
  LabelSelector: {
    1: ['matchLabels', 'map:string'],
    2: ['matchExpressions', 'msg:LabelSelectorRequirement', R],
  },
  LabelSelectorRequirement: {
    1: ['key', 'string'],
    2: ['operator', 'string'],
    3: ['values', 'string', R],
  },
  Deployment: { 1: ['metadata', 'msg:ObjectMeta'], 2: ['spec', 'msg:DeploymentSpec'] },
  DeploymentSpec: {
    1: ['replicas', 'int32'],
    2: ['selector', 'msg:LabelSelector'],
    3: ['template', 'msg:PodTemplateSpec'],
    4: ['strategy', 'msg:DeploymentStrategy'],
    5: ['minReadySeconds', 'int32'],
    6: ['revisionHistoryLimit', 'int32'],
    7: ['paused', 'bool'],
    9: ['progressDeadlineSeconds', 'int32'],
  },
  DeploymentStrategy: {
    1: ['type', 'string'],
    2: ['rollingUpdate', 'msg:RollingUpdateDeployment'],
  },
  RollingUpdateDeployment: { 1: ['maxUnavailable', 'intorstring'], 2: ['maxSurge', 'intorstring'] },
  PodTemplateSpec: { 1: ['metadata', 'msg:ObjectMeta'], 2: ['spec', 'msg:PodSpec'] },
  PodSpec: {
    2: ['containers', 'msg:Container', R],
    3: ['restartPolicy', 'string'],
    4: ['terminationGracePeriodSeconds', 'int64'],
    5: ['activeDeadlineSeconds', 'int64'],
    6: ['dnsPolicy', 'string'],
    7: ['nodeSelector', 'map:string'],
    8: ['serviceAccountName', 'string'],
    9: ['serviceAccount', 'string'],
    10: ['nodeName', 'string'],
    11: ['hostNetwork', 'bool'],
    12: ['hostPID', 'bool'],
    13: ['hostIPC', 'bool'],
    16: ['hostname', 'string'],
    17: ['subdomain', 'string'],
    19: ['schedulerName', 'string'],
    20: ['initContainers', 'msg:Container', R],
    21: ['automountServiceAccountToken', 'bool'],
    24: ['priorityClassName', 'string'],
    25: ['priority', 'int32'],
    27: ['shareProcessNamespace', 'bool'],
    30: ['enableServiceLinks', 'bool'],
  },
  Container: {
    1: ['name', 'string'],
    2: ['image', 'string'],
    3: ['command', 'string', R],
    4: ['args', 'string', R],
    5: ['workingDir', 'string'],
    6: ['ports', 'msg:ContainerPort', R],
    7: ['env', 'msg:EnvVar', R],
    8: ['resources', 'msg:ResourceRequirements'],
    9: ['volumeMounts', 'msg:VolumeMount', R],
    13: ['terminationMessagePath', 'string'],
    14: ['imagePullPolicy', 'string'],
    16: ['stdin', 'bool'],
    17: ['stdinOnce', 'bool'],
    18: ['tty', 'bool'],
    20: ['terminationMessagePolicy', 'string'],
    24: ['restartPolicy', 'string'],
  },
  ContainerPort: {
    1: ['name', 'string'],
    2: ['hostPort', 'int32'],
    3: ['containerPort', 'int32'],
    4: ['protocol', 'string'],
    5: ['hostIP', 'string'],
  },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'] },
  ResourceRequirements: { 1: ['limits', 'map:quantity'], 2: ['requests', 'map:quantity'] },
  VolumeMount: {
    1: ['name', 'string'],
    2: ['readOnly', 'bool'],
    3: ['mountPath', 'string'],
    4: ['subPath', 'string'],
    6: ['subPathExpr', 'string'],
  },
  ConfigMap: {
    1: ['metadata', 'msg:ObjectMeta'],
    2: ['data', 'map:string'],
    3: ['binaryData', 'map:bytes'],
    4: ['immutable', 'bool'],
  },
  Secret: {
    1: ['metadata', 'msg:ObjectMeta'],
    2: ['data', 'map:bytes'],
    3: ['type', 'string'],
    4: ['stringData', 'map:string'],
    5: ['immutable', 'bool'],
  },
  Namespace: { 1: ['metadata', 'msg:ObjectMeta'], 2: ['spec', 'msg:NamespaceSpec'] },
  NamespaceSpec: { 1: ['finalizers', 'string', R] },
  Service: { 1: ['metadata', 'msg:ObjectMeta'], 2: ['spec', 'msg:ServiceSpec'] },
  ServiceSpec: {
    1: ['ports', 'msg:ServicePort', R],
    2: ['selector', 'map:string'],
    3: ['clusterIP', 'string'],
    4: ['type', 'string'],
    5: ['externalIPs', 'string', R],
    7: ['sessionAffinity', 'string'],
    8: ['loadBalancerIP', 'string'],
    10: ['externalName', 'string'],
    11: ['externalTrafficPolicy', 'string'],
    17: ['ipFamilyPolicy', 'string'],
    18: ['clusterIPs', 'string', R],
    19: ['ipFamilies', 'string', R],
    22: ['internalTrafficPolicy', 'string'],
  },
  ServicePort: {
    1: ['name', 'string'],
    2: ['protocol', 'string'],
    3: ['port', 'int32'],
    4: ['targetPort', 'intorstring'],
    5: ['nodePort', 'int32'],
    6: ['appProtocol', 'string'],
  },
  Job: { 1: ['metadata', 'msg:ObjectMeta'], 2: ['spec', 'msg:JobSpec'] },
  JobSpec: {
    1: ['parallelism', 'int32'],
    2: ['completions', 'int32'],
    3: ['activeDeadlineSeconds', 'int64'],
    4: ['selector', 'msg:LabelSelector'],
    5: ['manualSelector', 'bool'],
    6: ['template', 'msg:PodTemplateSpec'],
    7: ['backoffLimit', 'int32'],
    8: ['ttlSecondsAfterFinished', 'int32'],
    9: ['completionMode', 'string'],
    10: ['suspend', 'bool'],
  },
  IntOrString: { 1: ['type', 'int64'], 2: ['intVal', 'int32'], 3: ['strVal', 'string'] },
  Quantity: { 1: ['string', 'string'] },
  Time: { 1: ['seconds', 'int64'], 2: ['nanos', 'int32'] },
};

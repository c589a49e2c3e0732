/**
 * The Linux half of a container's config, as the kubelet derives it from the pod spec:
 * resources (memory limit, CPU quota and shares, the OOM score of the pod's QoS class) and the
 * security context (container settings override the pod's; fsGroup and supplementalGroups
 * become extra groups; runAsNonRoot is checked against the user the image would run as).
 */
import type { Container, Pod } from '../k8s/types/pod.ts';
import type { ImageInfo, LinuxResources, LinuxSecurity } from '../runtime/container-runtime.ts';
import { CreateContainerConfigError } from './container-env.ts';
import { milliValue, parseQuantity } from './volumes/quantity.ts';

const q = (
  v: string | number | undefined,
  f: (x: string | number) => number,
): number | undefined => (v === undefined ? undefined : f(v));

/** Resources of one container; `memoryCapacity` (bytes) scales the Burstable OOM score. */
export function containerResources(pod: Pod, c: Container, memoryCapacity: number): LinuxResources {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const memLimit = q(limits['memory'], parseQuantity);
  const cpuLimit = q(limits['cpu'], milliValue);
  const cpuRequest = q(requests['cpu'], milliValue) ?? cpuLimit;
  const memRequest = q(requests['memory'], parseQuantity) ?? memLimit ?? 0;
  const qos = pod.status?.qosClass;
  const oomScoreAdj =
    qos === 'Guaranteed'
      ? -997
      : qos === 'BestEffort'
        ? 1000
        : Math.min(999, Math.max(2, 1000 - Math.trunc((1000 * memRequest) / memoryCapacity)));
  return {
    ...(memLimit ? { memoryLimitBytes: Math.trunc(memLimit) } : {}),
    ...(cpuLimit
      ? { cpuQuota: Math.max(1000, Math.trunc(cpuLimit * 100)), cpuPeriod: 100000 }
      : {}),
    cpuShares: cpuRequest ? Math.max(2, Math.trunc((cpuRequest * 1024) / 1000)) : 2,
    oomScoreAdj,
  };
}

/** The security settings of one container; throws CreateContainerConfigError for runAsNonRoot. */
export function containerSecurity(pod: Pod, c: Container, image: ImageInfo): LinuxSecurity {
  const psc = pod.spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const imageUser = image.config.user ?? '';
  if (sc.runAsNonRoot ?? psc.runAsNonRoot) {
    const who = `(pod: "${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})", container: ${c.name})`;
    const userPart = imageUser.split(':')[0] ?? '';
    if (
      runAsUser === 0 ||
      (runAsUser === undefined && (userPart === '' || userPart === '0' || userPart === 'root'))
    )
      throw new CreateContainerConfigError(
        `container has runAsNonRoot and image will run as root ${who}`,
      );
    if (runAsUser === undefined && !/^\d+$/.test(userPart))
      throw new CreateContainerConfigError(
        `container has runAsNonRoot and image has non-numeric user (${userPart}), cannot verify user is non-root ${who}`,
      );
  }
  const groups = [
    ...(psc.supplementalGroups ?? []),
    ...(psc.fsGroup !== undefined ? [psc.fsGroup] : []),
  ];
  return {
    privileged: !!sc.privileged,
    capAdd: sc.capabilities?.add ?? [],
    capDrop: sc.capabilities?.drop ?? [],
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(imageUser !== '' ? { runAsUsername: imageUser } : {}),
    supplementalGroups: groups,
    readOnlyRootfs: !!sc.readOnlyRootFilesystem,
    noNewPrivileges: sc.allowPrivilegeEscalation === false,
    procMount: sc.procMount === 'Unmasked' ? 'Unmasked' : 'Default',
  };
}

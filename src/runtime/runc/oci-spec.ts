/** Default capability set given to unprivileged containers (same list as the runtime notes). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** One bind mount requested for a container. */
export interface SpecMount {
  /** Path inside the container. */
  containerPath: string;
  /** Path on the host. */
  hostPath: string;
  /** Mount read-only when true. */
  readonly?: boolean;
}

/** Everything the OCI config generator needs, already resolved by the runtime. */
export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  hostname: string;
  rootfs: string;
  cgroupsPath: string;
  netnsPath?: string;
  utsPath: string;
  /** Undefined: the host's IPC namespace (`hostIPC`). */
  ipcPath?: string;
  terminal?: boolean;
  additionalGids?: number[];
  /** Default: true unless privileged. */
  noNewPrivileges?: boolean;
  readonlyRootfs?: boolean;
  /** `Unmasked` leaves /proc unmasked and writable (`securityContext.procMount`). */
  procMount?: 'Default' | 'Unmasked';
  /** Namespaced sysctls (pod `securityContext.sysctls`). */
  sysctl?: Record<string, string>;
  pidnsPath?: string;
  /** Join the host's PID namespace (`hostPID`). */
  hostPID?: boolean;
  mounts: SpecMount[];
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  memoryLimitBytes?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  oomScoreAdj?: number;
  /** Every capability the host lets containers have (privileged containers get them all). */
  allCapabilities?: readonly string[];
  /** The daemon's own limits; requested values are clamped to these. */
  hostLimits: { nofileHard: number; oomScoreAdj: number };
}

function capName(c: string): string {
  const up = c.toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/** Computes the effective capability list from defaults, privilege, additions and drops. */
export function effectiveCapabilities(
  input: Pick<SpecInput, 'privileged' | 'capAdd' | 'capDrop'>,
  all: readonly string[] = DEFAULT_CAPABILITIES,
): string[] {
  const caps = new Set(input.privileged === true ? all : DEFAULT_CAPABILITIES);
  const drop = (input.capDrop ?? []).map(capName);
  if (drop.includes('CAP_ALL')) caps.clear();
  for (const c of (input.capAdd ?? []).map(capName)) if (c !== 'CAP_ALL') caps.add(c);
  for (const c of drop) caps.delete(c);
  return [...caps].sort();
}

/** Generates the OCI runtime config.json object for one container. */
export function buildOciSpec(input: SpecInput): Record<string, unknown> {
  const caps = effectiveCapabilities(input, input.allCapabilities);
  const nofile = Math.min(1048576, input.hostLimits.nofileHard);
  const process: Record<string, unknown> = {
    terminal: input.terminal === true,
    user: {
      uid: input.uid,
      gid: input.gid,
      ...(input.additionalGids?.length ? { additionalGids: input.additionalGids } : {}),
    },
    args: input.args,
    env: input.env,
    cwd: input.cwd,
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
    noNewPrivileges: input.noNewPrivileges ?? input.privileged !== true,
  };
  if (input.oomScoreAdj !== undefined) {
    process['oomScoreAdj'] = Math.min(
      1000,
      Math.max(input.oomScoreAdj, input.hostLimits.oomScoreAdj),
    );
  }
  const ro = input.privileged === true ? [] : ['ro'];
  const mounts = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    {
      destination: '/dev/mqueue',
      type: 'mqueue',
      source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'],
    },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', ...ro],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', ...ro],
    },
    ...input.mounts.map((m) => ({
      destination: m.containerPath,
      type: 'bind',
      source: m.hostPath,
      options: ['rbind', m.readonly === true ? 'ro' : 'rw', 'nosuid', 'nodev'],
    })),
  ];
  const namespaces: Record<string, string>[] = [
    ...(input.hostPID === true
      ? []
      : [input.pidnsPath !== undefined ? { type: 'pid', path: input.pidnsPath } : { type: 'pid' }]),
    { type: 'mount' },
    ...(input.netnsPath !== undefined ? [{ type: 'network', path: input.netnsPath }] : []),
    { type: 'uts', path: input.utsPath },
    ...(input.ipcPath !== undefined ? [{ type: 'ipc', path: input.ipcPath }] : []),
  ];
  const resources: Record<string, unknown> = {
    devices: [{ allow: input.privileged === true, access: 'rwm' }],
  };
  if (input.memoryLimitBytes !== undefined) {
    resources['memory'] = { limit: input.memoryLimitBytes, swap: input.memoryLimitBytes };
  }
  const cpu: Record<string, number> = {};
  if (input.cpuShares !== undefined) cpu['shares'] = input.cpuShares;
  if (input.cpuQuota !== undefined) cpu['quota'] = input.cpuQuota;
  if (input.cpuPeriod !== undefined) cpu['period'] = input.cpuPeriod;
  if (Object.keys(cpu).length > 0) resources['cpu'] = cpu;
  return {
    ociVersion: '1.0.2-dev',
    process,
    root: { path: input.rootfs, readonly: input.readonlyRootfs === true },
    hostname: input.hostname,
    mounts,
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources,
      ...(input.sysctl && Object.keys(input.sysctl).length ? { sysctl: input.sysctl } : {}),
      namespaces,
      ...(input.privileged === true || input.procMount === 'Unmasked'
        ? {}
        : {
            maskedPaths: [
              '/proc/acpi',
              '/proc/asound',
              '/proc/kcore',
              '/proc/keys',
              '/proc/latency_stats',
              '/proc/timer_list',
              '/proc/timer_stats',
              '/proc/sched_debug',
              '/sys/firmware',
              '/proc/scsi',
            ],
            readonlyPaths: [
              '/proc/bus',
              '/proc/fs',
              '/proc/irq',
              '/proc/sys',
              '/proc/sysrq-trigger',
            ],
          }),
    },
  };
}

/**
 * The ContainerRuntime interface: what the kubelet needs from a container runtime, in the
 * runtime's own vocabulary (sandboxes and containers, never Pods). The kubelet turns a Pod into
 * {@link SandboxConfig} and {@link ContainerConfig}s, and turns what {@link ContainerRuntime.listContainers}
 * reports back into a PodStatus. Implementations: `runtime/runc/` (runc + conmon, real) and
 * `runtime/fake/` (stateful, in memory, for the fast tier).
 *
 * Contracts shared by every implementation:
 * - Identity survives a daemon restart: everything the kubelet needs to recognise a sandbox or
 *   container (pod uid/name/namespace, container name, attempt) is in `labels`/`annotations`
 *   and comes back from the list calls; the runtime keeps no state only in memory.
 * - A method given an id the runtime does not know throws {@link RuntimeNotFoundError}.
 * - Failures carry what is needed to debug them (argv, exit code, stderr tail) in the message.
 */

/** Labels and annotations the kubelet puts on sandboxes and containers (as the CRI does). */
export type Labels = Record<string, string>;

/** What a pod sandbox is made of: shared network, UTS and IPC namespaces. */
export interface SandboxConfig {
  /** Pod identity; kept in labels so a restarted daemon can find its sandboxes. */
  podUid: string;
  podName: string;
  podNamespace: string;
  /** Incremented each time the sandbox is re-created for the same pod. */
  attempt: number;
  hostname: string;
  /** Share the host's network namespace (`hostNetwork: true`). */
  hostNetwork: boolean;
  hostIPC: boolean;
  hostPID: boolean;
  /** `shareProcessNamespace: true`: containers share one PID namespace. */
  shareProcessNamespace: boolean;
  /** Content of the per-pod /etc/hosts, /etc/resolv.conf (the kubelet writes them). */
  hostsFile?: string;
  resolvConf?: string;
  /** Pod-level sysctls (namespaced ones only). */
  sysctls?: Record<string, string>;
  /** Pod-level cgroup parent (e.g. `/podbay/pod<uid>`). */
  cgroupParent?: string;
  labels: Labels;
  annotations: Labels;
}

export type SandboxState = 'ready' | 'notready';

/** A sandbox as observed. */
export interface SandboxStatus {
  id: string;
  state: SandboxState;
  createdAt: number;
  /** Path of the network namespace (`/run/netns/…`), absent for hostNetwork. */
  netnsPath?: string;
  /** IP addresses assigned by the PodNetwork, if any. */
  ips: string[];
  config: SandboxConfig;
}

/** A bind mount into a container. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
  /** `rprivate` (default) or `rslave`/`rshared`. */
  propagation?: 'private' | 'hostToContainer' | 'bidirectional';
}

/** A device node exposed to a container. */
export interface Device {
  containerPath: string;
  hostPath: string;
  permissions: string;
}

/** Resource limits, already converted from Kubernetes quantities. */
export interface LinuxResources {
  /** Bytes; 0 = unlimited. */
  memoryLimitBytes?: number;
  /** CFS quota and period in microseconds; quota 0 = unlimited. */
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  oomScoreAdj?: number;
  pidsLimit?: number;
}

/** Security settings, already resolved by the kubelet. */
export interface LinuxSecurity {
  privileged: boolean;
  /** Capability names without the `CAP_` prefix, e.g. `NET_ADMIN`; `ALL` allowed. */
  capAdd: string[];
  capDrop: string[];
  runAsUser?: number;
  runAsGroup?: number;
  /** Image user string to resolve when runAsUser is unset (`nginx`, `1000:1000`). */
  runAsUsername?: string;
  supplementalGroups: number[];
  readOnlyRootfs: boolean;
  noNewPrivileges: boolean;
  /** `Default` masks /proc paths; `Unmasked` does not. */
  procMount: 'Default' | 'Unmasked';
}

/** What the runtime needs to create one container. */
export interface ContainerConfig {
  /** Container name in the pod spec. */
  name: string;
  /** Restart count of this instance (0 for the first). */
  attempt: number;
  /** Image reference as the kubelet resolved it (the runtime's image store knows it). */
  image: string;
  /** Final argv (command/args already merged with the image's Entrypoint/Cmd and expanded). */
  args: string[];
  /** Final environment, `NAME=value`. */
  env: string[];
  workingDir: string;
  mounts: Mount[];
  devices: Device[];
  /** Where the runtime writes this instance's CRI-format log. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  /** Signal sent on a graceful stop (`SIGTERM` unless the image or spec says otherwise). */
  stopSignal: string;
  resources: LinuxResources;
  security: LinuxSecurity;
  labels: Labels;
  annotations: Labels;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** A container as observed. Times are epoch milliseconds. */
export interface ContainerStatus {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** `Completed`, `Error`, `OOMKilled`, `StartError`, … set once exited. */
  reason?: string;
  /** e.g. runc's message for a StartError. */
  message?: string;
  image: string;
  /** Resolved image id (`sha256:…`) and, when known, the repo digest. */
  imageId: string;
  imageRef?: string;
  logPath: string;
  labels: Labels;
  annotations: Labels;
}

/** Output of a synchronous exec (probes, hooks). */
export interface ExecSyncResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** True when the timeout expired and the process was killed. */
  timedOut: boolean;
}

/** A streaming exec or attach session (for kubectl exec/attach). */
export interface StreamSession {
  stdin?: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  stderr?: NodeJS.ReadableStream;
  resize(cols: number, rows: number): void;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number>;
  kill(): void;
}

/** Options for a streaming exec. */
export interface ExecOptions {
  stdin: boolean;
  tty: boolean;
  stderr: boolean;
}

/** A change the runtime noticed by itself (a container exited), to wake the kubelet early. */
export interface RuntimeEvent {
  type: 'containerExited' | 'containerStarted' | 'sandboxChanged';
  id: string;
  labels: Labels;
}

/** Thrown when an id is unknown to the runtime. */
export class RuntimeNotFoundError extends Error {
  override name = 'RuntimeNotFoundError';
}

/** Thrown by createContainer/startContainer; `reason` is what the kubelet reports. */
export class ContainerStartError extends Error {
  override name = 'ContainerStartError';
  constructor(
    message: string,
    /** `CreateContainerError` or `RunContainerError` (the waiting reason). */
    readonly reason: 'CreateContainerError' | 'RunContainerError',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The runtime as the kubelet sees it. */
export interface ContainerRuntime {
  /** Creates namespaces (and anything else pod-wide); the network is set up by PodNetwork. */
  runPodSandbox(config: SandboxConfig, signal?: AbortSignal): Promise<SandboxStatus>;
  /** Stops every container of the sandbox (SIGKILL) and releases its namespaces. Idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Removes a stopped sandbox and everything on disk that belongs to it. Idempotent. */
  removePodSandbox(id: string): Promise<void>;
  listPodSandboxes(): Promise<SandboxStatus[]>;

  /** Creates a container in a sandbox; returns its id. Throws ContainerStartError. */
  createContainer(
    sandboxId: string,
    config: ContainerConfig,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Starts a created container. A failure leaves an exited instance (exit 128, StartError). */
  startContainer(id: string): Promise<void>;
  /**
   * Sends the container's stop signal, waits up to `timeoutSeconds`, then SIGKILLs every process
   * of the container. Resolves once it has exited. Already-exited containers resolve at once.
   */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Removes an exited container (its rootfs, not its log). */
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: { sandboxId?: string; labels?: Labels }): Promise<ContainerStatus[]>;
  containerStatus(id: string): Promise<ContainerStatus>;

  /** Runs a command in a running container and waits; kills it for real after `timeoutMs`. */
  execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult>;
  /** Starts an interactive command in a running container. */
  exec(id: string, cmd: string[], options: ExecOptions): Promise<StreamSession>;
  /** Attaches to the main process's stdio (needs `stdin` in the config to write). */
  attach(id: string, options: ExecOptions): Promise<StreamSession>;
  /** Asks the runtime to reopen the container's log file after the kubelet rotated it. */
  reopenContainerLog(id: string): Promise<void>;

  /** Subscribes to changes the runtime notices by itself; returns an unsubscribe function. */
  onEvent(listener: (event: RuntimeEvent) => void): () => void;
}

/** Image as the image service describes it. */
export interface ImageInfo {
  /** `sha256:<config digest>`. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  config: {
    entrypoint?: string[];
    cmd?: string[];
    env?: string[];
    workingDir?: string;
    user?: string;
    stopSignal?: string;
    exposedPorts?: string[];
    labels?: Record<string, string>;
  };
}

/** Credentials for one pull. */
export interface PullAuth {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

/** Thrown by pullImage; `message` is what the kubelet shows after `Failed to pull image "x": `. */
export class ImagePullError extends Error {
  override name = 'ImagePullError';
}

/** The image half of the runtime (the CRI ImageService). */
export interface ImageService {
  /** Resolves a reference to a local image, or undefined if absent. */
  imageStatus(ref: string): Promise<ImageInfo | undefined>;
  /** Pulls an image; returns its info. Concurrent pulls of one reference share one download. */
  pullImage(ref: string, auth: PullAuth[], signal?: AbortSignal): Promise<ImageInfo>;
  listImages(): Promise<ImageInfo[]>;
  removeImage(ref: string): Promise<void>;
}

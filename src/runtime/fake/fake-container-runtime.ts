/**
 * A stateful, in-memory ContainerRuntime + ImageService for the fast test tier: deterministic
 * ids, a call log, injectable errors, and helpers to act as the world (`exitContainer`,
 * `setImagePresent`). Stop signals follow a per-container script: exit at once on SIGTERM with
 * a code, or ignore it until the timeout's SIGKILL (137), on the injected clock.
 */
import type { Clock } from '../../lib/clock.ts';
import {
  ContainerStartError,
  ImagePullError,
  RuntimeNotFoundError,
  type ContainerConfig,
  type ContainerRuntime,
  type ContainerStatus,
  type ExecSyncResult,
  type ImageInfo,
  type ImageService,
  type Labels,
  type RuntimeEvent,
  type SandboxConfig,
  type SandboxStatus,
  type StreamSession,
} from '../container-runtime.ts';

/** How a fake container reacts to its stop signal. */
export interface StopBehaviour {
  /** Exit code on the stop signal; undefined = ignore it (SIGKILL after the timeout, 137). */
  onTermExitCode?: number;
}

interface FakeContainer extends ContainerStatus {
  config: ContainerConfig;
  stop: StopBehaviour;
}

/** The fake runtime. */
export class FakeContainerRuntime implements ContainerRuntime, ImageService {
  readonly calls: string[] = [];
  readonly #sandboxes = new Map<string, SandboxStatus>();
  readonly #containers = new Map<string, FakeContainer>();
  readonly #images = new Map<string, ImageInfo>();
  readonly #errors = new Map<string, Error>();
  readonly #listeners = new Set<(e: RuntimeEvent) => void>();
  readonly #stopBehaviour = new Map<string, StopBehaviour>();
  readonly #execResults = new Map<string, { exitCode: number; output: string }>();
  #seq = 0;

  constructor(private readonly clock: Clock) {}

  /** The next call of `method` throws `err`. */
  injectError(method: string, err: Error): void {
    this.#errors.set(method, err);
  }

  #call(method: string, detail: string): void {
    this.calls.push(`${method} ${detail}`);
    const err = this.#errors.get(method);
    if (err) {
      this.#errors.delete(method);
      throw err;
    }
  }

  /** Makes an image available locally. */
  setImagePresent(ref: string, config: ImageInfo['config'] = {}): void {
    this.#images.set(ref, {
      id: `sha256:${(++this.#seq).toString(16).padStart(64, '0')}`,
      repoTags: [ref],
      repoDigests: [],
      size: 1000,
      config,
    });
  }

  /** What `execSync` in containers named `name` returns (probes, hooks); default exit 0. */
  setExecResult(name: string, exitCode: number, output = ''): void {
    this.#execResults.set(name, { exitCode, output });
  }

  /** How containers named `name` react to their stop signal. */
  setStopBehaviour(name: string, behaviour: StopBehaviour): void {
    this.#stopBehaviour.set(name, behaviour);
  }

  /** Yields once, as a real runtime call would, so errors arrive as rejections. */
  #yield(): Promise<void> {
    return Promise.resolve();
  }

  #emit(e: RuntimeEvent): void {
    for (const l of this.#listeners) l(e);
  }

  /** Simulates the container's process exiting with `code`. */
  exitContainer(id: string, code: number, reason?: string): void {
    const c = this.#get(id);
    if (c.state !== 'running') return;
    c.state = 'exited';
    c.exitCode = code;
    c.finishedAt = this.clock.now();
    c.reason = reason ?? (code === 0 ? 'Completed' : 'Error');
    this.#emit({ type: 'containerExited', id, labels: c.labels });
  }

  /** Containers by pod-spec name (newest first). */
  byName(name: string): ContainerStatus[] {
    return [...this.#containers.values()]
      .filter((c) => c.name === name)
      .sort((a, b) => b.attempt - a.attempt);
  }

  #get(id: string): FakeContainer {
    const c = this.#containers.get(id);
    if (!c) throw new RuntimeNotFoundError(`container "${id}" not found`);
    return c;
  }

  async runPodSandbox(config: SandboxConfig): Promise<SandboxStatus> {
    await this.#yield();
    this.#call('runPodSandbox', config.podName);
    const id = `sandbox-${++this.#seq}`;
    const s: SandboxStatus = {
      id,
      state: 'ready',
      createdAt: this.clock.now(),
      netnsPath: `/run/netns/${id}`,
      ips: [],
      config,
    };
    this.#sandboxes.set(id, s);
    return s;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.#yield();
    this.#call('stopPodSandbox', id);
    const s = this.#sandboxes.get(id);
    if (s) s.state = 'notready';
    for (const c of this.#containers.values())
      if (c.sandboxId === id && c.state === 'running') this.exitContainer(c.id, 137);
    return;
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.#yield();
    this.#call('removePodSandbox', id);
    this.#sandboxes.delete(id);
    for (const c of [...this.#containers.values()])
      if (c.sandboxId === id) this.#containers.delete(c.id);
    return;
  }

  listPodSandboxes(): Promise<SandboxStatus[]> {
    return Promise.resolve([...this.#sandboxes.values()]);
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    await this.#yield();
    this.#call('createContainer', config.name);
    if (!this.#sandboxes.has(sandboxId))
      throw new RuntimeNotFoundError(`sandbox "${sandboxId}" not found`);
    if (config.args.length === 0)
      throw new ContainerStartError('no command specified', 'CreateContainerError');
    const id = `${config.name}-${++this.#seq}`;
    const image = this.#images.get(config.image);
    this.#containers.set(id, {
      id,
      sandboxId,
      name: config.name,
      attempt: config.attempt,
      state: 'created',
      createdAt: this.clock.now(),
      image: config.image,
      imageId: image?.id ?? '',
      logPath: config.logPath,
      labels: config.labels,
      annotations: config.annotations,
      config,
      stop: this.#stopBehaviour.get(config.name) ?? { onTermExitCode: 143 },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.#yield();
    this.#call('startContainer', this.#get(id).name);
    const c = this.#get(id);
    c.state = 'running';
    c.startedAt = this.clock.now();
    this.#emit({ type: 'containerStarted', id, labels: c.labels });
    return;
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.#get(id);
    this.#call('stopContainer', c.name);
    if (c.state !== 'running') return;
    if (c.stop.onTermExitCode !== undefined) {
      this.exitContainer(id, c.stop.onTermExitCode);
      return;
    }
    await this.clock.sleep(timeoutSeconds * 1000);
    this.exitContainer(id, 137);
  }

  async removeContainer(id: string): Promise<void> {
    await this.#yield();
    this.#call('removeContainer', id);
    this.#containers.delete(id);
    return;
  }

  listContainers(filter: { sandboxId?: string; labels?: Labels } = {}): Promise<ContainerStatus[]> {
    const out = [...this.#containers.values()].filter(
      (c) =>
        (!filter.sandboxId || c.sandboxId === filter.sandboxId) &&
        Object.entries(filter.labels ?? {}).every(([k, v]) => c.labels[k] === v),
    );
    return Promise.resolve(out.map(({ config: _c, stop: _s, ...rest }) => ({ ...rest })));
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    const { config: _c, stop: _s, ...rest } = this.#get(id);
    return Promise.resolve({ ...rest });
  }

  async execSync(id: string, cmd: string[]): Promise<ExecSyncResult> {
    await this.#yield();
    const c = this.#get(id);
    this.#call('execSync', `${c.name} ${cmd.join(' ')}`);
    if (c.state !== 'running') throw new RuntimeNotFoundError(`container "${id}" is not running`);
    const r = this.#execResults.get(c.name) ?? { exitCode: 0, output: '' };
    return {
      exitCode: r.exitCode,
      stdout: Buffer.from(r.output),
      stderr: Buffer.alloc(0),
      timedOut: false,
    };
  }

  exec(): Promise<StreamSession> {
    return Promise.reject(new Error('the fake runtime has no interactive exec'));
  }

  attach(): Promise<StreamSession> {
    return Promise.reject(new Error('the fake runtime has no attach'));
  }

  reopenContainerLog(): Promise<void> {
    return Promise.resolve();
  }

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  imageStatus(ref: string): Promise<ImageInfo | undefined> {
    return Promise.resolve(this.#images.get(ref));
  }

  async pullImage(ref: string): Promise<ImageInfo> {
    await this.#yield();
    this.#call('pullImage', ref);
    const img = this.#images.get(ref);
    if (!img) {
      throw new ImagePullError(
        `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": not found`,
      );
    }
    return img;
  }

  listImages(): Promise<ImageInfo[]> {
    return Promise.resolve([...this.#images.values()]);
  }

  removeImage(ref: string): Promise<void> {
    this.#images.delete(ref);
    return Promise.resolve();
  }
}

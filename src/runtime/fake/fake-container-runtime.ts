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
import { HarnessRun, harnessParams, type HarnessLine } from './harness-program.ts';

/** How a fake container reacts to its stop signal. */
export interface StopBehaviour {
  /** Exit code on the stop signal; undefined = ignore it (SIGKILL after the timeout, 137). */
  onTermExitCode?: number;
}

interface FakeContainer extends ContainerStatus {
  config: ContainerConfig;
  stop: StopBehaviour;
  /** The harness program when the argv is `["h"]`. */
  proc?: HarnessRun;
  /** Exec'd harness processes (hooks), ended with the container. */
  execs: Set<HarnessRun>;
  /** Called once when the container exits. */
  waiters: (() => void)[];
}

const internal = new Set(['config', 'stop', 'proc', 'execs', 'waiters']);
function publicView(c: FakeContainer): ContainerStatus {
  return Object.fromEntries(
    Object.entries(c).filter(([k]) => !internal.has(k)),
  ) as unknown as ContainerStatus;
}

/** The fake runtime. */
export class FakeContainerRuntime implements ContainerRuntime, ImageService {
  readonly calls: string[] = [];
  /** The shared harness log (lifecycle-scenarios.md §0.2) of every `h` program and hook. */
  readonly log: HarnessLine[] = [];
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
    c.proc?.kill();
    for (const e of c.execs) e.kill();
    c.execs.clear();
    for (const w of c.waiters.splice(0)) w();
    this.#emit({ type: 'containerExited', id, labels: c.labels });
  }

  /** Makes the runtime lose track of a container's state (`unknown`, as after a crash). */
  markUnknown(id: string): void {
    const c = this.#get(id);
    c.state = 'unknown';
    this.#emit({ type: 'containerExited', id, labels: c.labels });
  }

  /** The config a container was created with (env, args, mounts…). */
  configOf(id: string): ContainerConfig {
    return this.#get(id).config;
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
      execs: new Set(),
      waiters: [],
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
    if (c.config.args[0] === 'h' && c.config.args.length === 1) {
      const p = harnessParams(c.name, c.config.env, c.attempt);
      c.proc = new HarnessRun(this.clock, this.log, p, (code) => this.exitContainer(id, code));
      c.proc.start();
    }
    return;
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.#get(id);
    this.#call('stopContainer', c.name);
    if (c.state !== 'running') return;
    if (c.proc) c.proc.term();
    else if (c.stop.onTermExitCode !== undefined) {
      this.exitContainer(id, c.stop.onTermExitCode);
      return;
    }
    if (c.state !== 'running') return;
    const ac = new AbortController();
    const exited = new Promise<void>((r) => c.waiters.push(r));
    await Promise.race([
      exited,
      this.clock.sleep(timeoutSeconds * 1000, ac.signal).catch(() => undefined),
    ]);
    ac.abort();
    this.exitContainer(id, 137);
  }

  /** Runs an exec'd command: the harness (`h K=V…`) and a few shell idioms, else the scripted result. */
  #exec(
    c: FakeContainer,
    cmd: string[],
    timeoutMs: number,
  ): Promise<{ code: number; out: string; timedOut?: boolean }> {
    const scripted = this.#execResults.get(c.name);
    if (scripted) return Promise.resolve({ code: scripted.exitCode, out: scripted.output });
    if (cmd[0] === 'h') {
      const run = new HarnessRun(
        this.clock,
        this.log,
        harnessParams(c.name, cmd.slice(1)),
        (code) => {
          c.execs.delete(run);
          done(code);
        },
      );
      let done = (_code: number): void => undefined;
      const ac = new AbortController();
      const finished = new Promise<{ code: number; out: string }>((r) => {
        done = (code) => r({ code, out: '' });
      });
      c.execs.add(run);
      run.start();
      return Promise.race([
        finished,
        this.clock.sleep(timeoutMs, ac.signal).then(
          () => ({ code: -1, out: '', timedOut: true }),
          () => ({ code: -1, out: '' }),
        ),
      ]).finally(() => ac.abort());
    }
    if (cmd[0] === 'test' && cmd[1] === '-f' && cmd[2] === '/tmp/started')
      return Promise.resolve({ code: !c.proc || c.proc.started ? 0 : 1, out: '' });
    if (cmd[0] === 'probe-log') {
      this.log.push({ t: this.clock.now(), name: cmd[1] ?? c.name, event: 'Probe' });
      return Promise.resolve({ code: Number(cmd[2] ?? '0'), out: '' });
    }
    const m = cmd[0] === 'sh' && cmd[1] === '-c' ? /^exit (\d+)$/.exec(cmd[2] ?? '') : null;
    if (m) return Promise.resolve({ code: Number(m[1]), out: '' });
    return Promise.resolve({ code: 0, out: '' });
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
    return Promise.resolve(out.map(publicView));
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    return Promise.resolve(publicView(this.#get(id)));
  }

  async execSync(id: string, cmd: string[], timeoutMs = 60_000): Promise<ExecSyncResult> {
    await this.#yield();
    const c = this.#get(id);
    this.#call('execSync', `${c.name} ${cmd.join(' ')}`);
    if (c.state !== 'running') throw new RuntimeNotFoundError(`container "${id}" is not running`);
    const r = await this.#exec(c, cmd, timeoutMs);
    return {
      exitCode: r.code,
      stdout: Buffer.from(r.out),
      stderr: Buffer.alloc(0),
      timedOut: !!r.timedOut,
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

/**
 * The real ContainerRuntime: one conmon per container driving runc (the CRI-O model), pod
 * sandboxes of pinned namespaces, overlay root filesystems over the image store's layers.
 * Every fact lives on disk (records.ts, conmon exit files, runc state), so a restarted daemon
 * re-adopts running containers (`init()`), and nothing is kept only in memory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findOnPath, runCommand } from '../../lib/command.ts';
import type { Logger } from '../../lib/log.ts';
import { nullLogger } from '../../lib/log.ts';
import {
  ContainerStartError,
  RuntimeNotFoundError,
  type ContainerConfig,
  type ContainerRuntime,
  type ContainerStatus,
  type ExecOptions,
  type ExecSyncResult,
  type ImageInfo,
  type Labels,
  type RuntimeEvent,
  type SandboxConfig,
  type SandboxStatus,
  type StreamSession,
} from '../container-runtime.ts';
import { removeCgroups } from './cgroups.ts';
import { ConmonCreateError, cleanRuncMessage, conmonCreate, conmonReopenLog } from './conmon.ts';
import { forgetContainer, refreshRecord, statusOf } from './container-state.ts';
import { ExitWatcher } from './exit-watcher.ts';
import { infraHandle, stopInfra, type InfraHandle } from './infra-container.ts';
import { readBoundingCapabilities, readHostLimits } from './host-limits.ts';
import { unmountAll } from './mounts.ts';
import { writeBundle } from './bundle.ts';
import { ExecFifoError, startThroughExecFifo } from './exec-fifo.ts';
import { setUpSandbox } from './sandbox-setup.ts';
import { releaseSealedRunc, runcEnv, sealedRunc } from './sealed-runc.ts';
import {
  newContainerRecord,
  readRecords,
  sandboxStatusOf,
  writeJson,
  type ContainerRecord,
  type SandboxRecord,
} from './records.ts';
import { conmonAttach } from './runc-attach.ts';
import { runcExec, runcExecSync } from './runc-exec.ts';
import { bundleDir, runtimePaths, sandboxDir, type RuntimePaths } from './runtime-paths.ts';
import { destroySandboxNamespaces } from './sandbox-namespaces.ts';

/** Where image layers come from (the local image store). */
export interface RootfsSource {
  imageStatus(ref: string): Promise<ImageInfo | undefined>;
  /** Marks an image in use by a container (so it cannot be removed), and releases it. */
  leaseImage?(holder: string, refOrId: string): Promise<string>;
  releaseImage?(holder: string): Promise<void>;
  /** Overlay lower dirs, top-most first. */
  lowerDirs(ref: string): Promise<string[]>;
}

/** Options of {@link RuncRuntime}. */
export interface RuncRuntimeOptions {
  dataDir: string;
  images: RootfsSource;
  log?: Logger;
  runc?: string;
  conmon?: string;
  /** Base of the volatile state (default `/run/podbay`). */
  runBase?: string;
}

const newId = (): string => randomBytes(16).toString('hex');
const sigName = (s: string): string => s.replace(/^SIG/, '');

/** The runc + conmon runtime. */
export class RuncRuntime implements ContainerRuntime {
  readonly paths: RuntimePaths;
  readonly #o: RuncRuntimeOptions;
  readonly #log: Logger;
  readonly #sandboxes = new Map<string, SandboxRecord>();
  readonly #containers = new Map<string, ContainerRecord>();
  readonly #listeners = new Set<(e: RuntimeEvent) => void>();
  readonly #limits = readHostLimits();
  readonly #caps = readBoundingCapabilities();
  readonly #exits: ExitWatcher;
  /** conmon + `runc create` under way since createContainer, by container id (pid or error). */
  readonly #creating = new Map<string, Promise<number>>();

  constructor(options: RuncRuntimeOptions) {
    this.#o = options;
    this.#log = options.log ?? nullLogger;
    this.paths = runtimePaths(options.dataDir, options.runBase);
    this.#exits = new ExitWatcher(this.paths.exits, (id) => void this.#exited(id));
  }

  #runcPath = 'runc';

  get #runc(): string {
    return this.#runcPath;
  }

  /** Creates the directories and re-adopts what is on disk. */
  async init(): Promise<void> {
    const p = this.paths;
    for (const d of [p.root, p.runcRoot, p.exits, p.sockets, p.execs])
      await mkdir(d, { recursive: true });
    this.#runcPath = await sealedRunc(this.#o.runc ?? (await findOnPath('runc')), p.run, this.#log);
    await mkdir(join(p.root, 'sandboxes'), { recursive: true });
    await mkdir(join(p.root, 'containers'), { recursive: true });
    for (const s of await readRecords<SandboxRecord>(join(p.root, 'sandboxes'), 'sandbox.json'))
      this.#sandboxes.set(s.id, s);
    for (const c of await readRecords<ContainerRecord>(
      join(p.root, 'containers'),
      'container.json',
    )) {
      this.#containers.set(c.id, c);
      await this.#refresh(c);
    }
    this.#exits.start();
  }

  /** Stops watching (containers keep running). */
  close(): void {
    this.#exits.stop();
  }

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(e: RuntimeEvent): void {
    for (const l of this.#listeners) l(e);
  }

  // ---- sandboxes ----------------------------------------------------------------------------

  async runPodSandbox(config: SandboxConfig): Promise<SandboxStatus> {
    const id = newId();
    const rec = await setUpSandbox({
      id,
      dir: sandboxDir(this.paths, id),
      config,
      infra: this.#infra(id),
      cgroupsPath: `/${this.paths.cgroupRoot}/${id}/infra`,
      hostLimits: this.#limits,
    });
    this.#sandboxes.set(id, rec);
    return sandboxStatusOf(rec);
  }

  #infra(sandboxId: string): InfraHandle {
    return infraHandle(
      this.#runc,
      this.paths.runcRoot,
      sandboxDir(this.paths, sandboxId),
      sandboxId,
    );
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.#sandboxes.get(id);
    if (!rec) return;
    const members = [...this.#containers.values()].filter((c) => c.sandboxId === id);
    await Promise.all(members.map((c) => this.stopContainer(c.id, 0)));
    if (rec.pidnsPath !== undefined) await stopInfra(this.#infra(id));
    await destroySandboxNamespaces(id, sandboxDir(this.paths, id));
    if (rec.state !== 'notready') {
      rec.state = 'notready';
      await writeJson(join(sandboxDir(this.paths, id), 'sandbox.json'), rec);
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    if (!this.#sandboxes.has(id)) return;
    await this.stopPodSandbox(id);
    for (const c of [...this.#containers.values()].filter((x) => x.sandboxId === id))
      await this.removeContainer(c.id);
    await removeCgroups(`${this.paths.cgroupRoot}/${id}`);
    await rm(sandboxDir(this.paths, id), { recursive: true, force: true });
    this.#sandboxes.delete(id);
  }

  listPodSandboxes(): Promise<SandboxStatus[]> {
    return Promise.resolve([...this.#sandboxes.values()].map((r) => sandboxStatusOf(r)));
  }

  // ---- containers ---------------------------------------------------------------------------

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sandbox = this.#sandboxes.get(sandboxId);
    if (!sandbox) throw new RuntimeNotFoundError(`pod sandbox ${sandboxId} not found`);
    const image = await this.#o.images.imageStatus(config.image);
    if (!image)
      throw new ContainerStartError(`image "${config.image}" not present`, 'CreateContainerError');
    if (config.args.length === 0)
      throw new ContainerStartError('no command specified', 'CreateContainerError');
    const id = newId();
    const b = bundleDir(this.paths, id);
    try {
      await this.#o.images.leaseImage?.(id, image.id);
      await writeBundle({
        bundle: b,
        lowerDirs: await this.#o.images.lowerDirs(image.id),
        sandbox,
        config,
        cgroupsPath: `/${this.paths.cgroupRoot}/${sandboxId}/${id}`,
        hostLimits: this.#limits,
        allCapabilities: this.#caps,
      });
    } catch (err: unknown) {
      await unmountAll(b).catch(() => undefined);
      await rm(b, { recursive: true, force: true });
      await this.#o.images.releaseImage?.(id).catch(() => undefined);
      const msg = err instanceof Error ? err.message : String(err);
      throw new ContainerStartError(msg, 'CreateContainerError', { cause: err });
    }
    const rec = newContainerRecord(id, sandboxId, config, image);
    await writeJson(join(b, 'container.json'), rec);
    this.#containers.set(id, rec);
    // conmon and `runc create` (most of a start's cost) begin now, in the background, so that
    // the kubelet can prepare the next container while this one starts; their error, if any,
    // is the start's (StartError), as when runc create runs at start.
    const creating = this.#conmonCreate(rec);
    creating.catch(() => undefined);
    this.#creating.set(id, creating);
    return id;
  }

  #conmonCreate(rec: ContainerRecord): Promise<number> {
    return conmonCreate({
      conmon: this.#o.conmon ?? 'conmon',
      runc: this.#runc,
      runcRoot: this.paths.runcRoot,
      id: rec.id,
      name: rec.name,
      bundle: bundleDir(this.paths, rec.id),
      logPath: rec.logPath,
      exitDir: this.paths.exits,
      socketDir: this.paths.sockets,
      stdin: rec.stdin,
      stdinOnce: rec.stdinOnce === true,
      tty: rec.tty,
    });
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.#get(id);
    const b = bundleDir(this.paths, id);
    try {
      const creating = this.#creating.get(id) ?? this.#conmonCreate(rec);
      this.#creating.delete(id);
      rec.pid = await creating;
      await startThroughExecFifo(this.paths.runcRoot, id, rec.pid);
      rec.startedAt = Date.now();
      await writeJson(join(b, 'container.json'), rec);
      this.#emit({ type: 'containerStarted', id, labels: rec.labels });
    } catch (err: unknown) {
      const raw =
        err instanceof ConmonCreateError || err instanceof ExecFifoError
          ? err.message
          : String(err);
      const message = cleanRuncMessage(raw);
      Object.assign(rec, { exitCode: 128, reason: 'StartError', message });
      rec.startedAt = 0;
      rec.finishedAt = Date.now();
      await writeJson(join(b, 'container.json'), rec);
      await this.#runcDelete(id);
      throw new ContainerStartError(message, 'RunContainerError', { cause: err });
    }
  }

  /** `runc delete --force`; idempotent. */
  async #runcDelete(id: string): Promise<void> {
    await runCommand(this.#runc, ['--root', this.paths.runcRoot, 'delete', '--force', id], {
      env: runcEnv(),
    }).catch(() => undefined);
  }

  #get(id: string): ContainerRecord {
    const rec = this.#containers.get(id);
    if (!rec) throw new RuntimeNotFoundError(`container ${id} not found`);
    return rec;
  }

  #refresh(rec: ContainerRecord): Promise<void> {
    return refreshRecord(this.paths, rec);
  }

  async #exited(id: string): Promise<void> {
    const rec = this.#containers.get(id);
    if (!rec) return;
    await this.#refresh(rec);
    this.#emit({ type: 'containerExited', id, labels: rec.labels });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.#get(id);
    await this.#refresh(rec);
    if (rec.finishedAt !== undefined || rec.startedAt === undefined) return;
    const runc = [this.#runc, '--root', this.paths.runcRoot] as const;
    const kill = (args: string[]): Promise<unknown> =>
      runCommand(runc[0], [...runc.slice(1), 'kill', ...args], { env: runcEnv() }).catch(
        () => undefined,
      );
    if (timeoutSeconds > 0) {
      await kill([id, sigName(rec.stopSignal)]);
      if (await this.#exits.waitFor(id, timeoutSeconds * 1000)) {
        await this.#refresh(rec);
        return;
      }
    }
    await kill(['--all', id, 'KILL']);
    await this.#exits.waitFor(id, 10_000);
    await this.#refresh(rec);
  }

  async removeContainer(id: string): Promise<void> {
    const rec = this.#containers.get(id);
    if (!rec) return;
    await this.#creating.get(id)?.catch(() => undefined);
    this.#creating.delete(id);
    await this.stopContainer(id, 0);
    await this.#runcDelete(id);
    const b = bundleDir(this.paths, id);
    await unmountAll(b);
    await rm(b, { recursive: true, force: true });
    await rm(join(this.paths.exits, id), { force: true });
    await rm(join(this.paths.sockets, id), { recursive: true, force: true });
    await this.#o.images.releaseImage?.(id);
    this.#containers.delete(id);
    forgetContainer(id);
  }

  async listContainers(filter?: {
    sandboxId?: string;
    labels?: Labels;
  }): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const rec of this.#containers.values()) {
      if (filter?.sandboxId !== undefined && rec.sandboxId !== filter.sandboxId) continue;
      if (filter?.labels && Object.entries(filter.labels).some(([k, v]) => rec.labels[k] !== v))
        continue;
      out.push(await this.containerStatus(rec.id));
    }
    return out;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const rec = this.#get(id);
    await this.#refresh(rec);
    return statusOf(rec);
  }

  // ---- exec, attach, logs -------------------------------------------------------------------

  #target(id: string): { runc: string; root: string; id: string; execDir: string } {
    this.#get(id);
    return { runc: this.#runc, root: this.paths.runcRoot, id, execDir: this.paths.execs };
  }

  execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    return runcExecSync(this.#target(id), cmd, timeoutMs);
  }

  exec(id: string, cmd: string[], options: ExecOptions): Promise<StreamSession> {
    return runcExec(this.#target(id), cmd, options);
  }

  attach(id: string, options: ExecOptions): Promise<StreamSession> {
    this.#get(id);
    return conmonAttach(bundleDir(this.paths, id), options, {
      socketPath: join(this.paths.sockets, id, 'attach'),
    });
  }

  async reopenContainerLog(id: string): Promise<void> {
    this.#get(id);
    await conmonReopenLog(bundleDir(this.paths, id));
  }

  /** Kills and removes every sandbox and container (tests, `podbay down --purge`). */
  async removeAll(): Promise<void> {
    for (const id of [...this.#sandboxes.keys()]) await this.removePodSandbox(id);
    for (const id of [...this.#containers.keys()]) await this.removeContainer(id);
    await removeCgroups(this.paths.cgroupRoot);
    await releaseSealedRunc(this.paths.run);
    this.#runcPath = this.#o.runc ?? (await findOnPath('runc'));
    await rm(this.paths.run, { recursive: true, force: true });
    this.#log.debug('runtime state removed', { root: this.paths.root });
  }
}

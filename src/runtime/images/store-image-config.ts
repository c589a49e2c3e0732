/**
 * OCI / Docker image config JSON as the local store reads and writes it: validation of the parts
 * the store relies on, the mapping of its runtime section onto {@link ImageInfo.config}, and the
 * config generated for a rootfs import.
 */
import type { ImageInfo } from '../container-runtime.ts';
import type { IndexedImage } from './store-index.ts';

/** The parts of an image config the store uses (other fields are kept verbatim on disk). */
export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  created?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
    StopSignal?: string;
    ExposedPorts?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
  };
  rootfs: { type: string; diff_ids: string[] };
  history?: { created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** The PATH an image gets when it does not set one (the usual Docker default). */
export const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const digestPattern = /^sha256:[0-9a-f]{64}$/;

/** Parses config bytes; throws a clear error when they are not an image config. */
export function parseImageConfig(bytes: Buffer): ImageConfigJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new Error(`image config is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const cfg = parsed as Partial<ImageConfigJson> | null;
  const diffIds = cfg?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string')) {
    throw new Error('image config has no rootfs.diff_ids list');
  }
  const bad = diffIds.find((d) => !digestPattern.test(d));
  if (bad !== undefined) throw new Error(`image config has an invalid diff_id "${bad}"`);
  return cfg as ImageConfigJson;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Maps the config's runtime section onto {@link ImageInfo.config} (absent fields omitted). */
export function imageInfoConfig(cfg: ImageConfigJson): ImageInfo['config'] {
  const c = cfg.config ?? {};
  const out: ImageInfo['config'] = {};
  const entrypoint = strings(c.Entrypoint);
  if (entrypoint) out.entrypoint = entrypoint;
  const cmd = strings(c.Cmd);
  if (cmd) out.cmd = cmd;
  const env = strings(c.Env);
  if (env) out.env = env;
  const workingDir = nonEmpty(c.WorkingDir);
  if (workingDir !== undefined) out.workingDir = workingDir;
  const user = nonEmpty(c.User);
  if (user !== undefined) out.user = user;
  const stopSignal = nonEmpty(c.StopSignal);
  if (stopSignal !== undefined) out.stopSignal = stopSignal;
  if (c.ExposedPorts && typeof c.ExposedPorts === 'object') {
    out.exposedPorts = Object.keys(c.ExposedPorts).sort();
  }
  if (c.Labels && typeof c.Labels === 'object') out.labels = { ...c.Labels };
  return out;
}

/** The {@link ImageInfo} of image `id`, from its index entry and config. */
export function imageInfo(id: string, entry: IndexedImage, cfg: ImageConfigJson): ImageInfo {
  return {
    id,
    repoTags: [...entry.repoTags],
    repoDigests: [...entry.repoDigests],
    size: entry.size,
    config: imageInfoConfig(cfg),
  };
}

/** The OCI architecture name of this machine (`amd64`, `arm64`, …). */
export function hostArchitecture(): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return map[process.arch] ?? process.arch;
}

/** Options of a rootfs import (the image's runtime settings). */
export interface ImportConfigOptions {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

/**
 * The config of an image made of one imported layer. It carries no timestamp, so importing the
 * same tarball with the same options always yields the same image id.
 */
export function buildImportConfig(diffId: string, opts: ImportConfigOptions = {}): Buffer {
  const env = [...(opts.env ?? [])];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(defaultPath);
  const config: NonNullable<ImageConfigJson['config']> = { Env: env };
  if (opts.entrypoint) config.Entrypoint = opts.entrypoint;
  if (opts.cmd) config.Cmd = opts.cmd;
  if (opts.workingDir !== undefined) config.WorkingDir = opts.workingDir;
  if (opts.user !== undefined) config.User = opts.user;
  const cfg: ImageConfigJson = {
    architecture: hostArchitecture(),
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: 'podbay image import', comment: 'imported from a rootfs tarball' }],
  };
  return Buffer.from(JSON.stringify(cfg));
}

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageInfo, PullAuth } from '../../container-runtime.ts';
import { ImagePullError } from '../../container-runtime.ts';
import { normalizeImageRef, parseImageRef, type ImageRef } from '../image-ref.ts';
import { unpackLayer, type UnpackOptions } from '../unpack/layer-unpacker.ts';
import { endpointsFor, type Endpoint } from './endpoints.ts';
import { pullError, RegistryError } from './errors.ts';
import {
  hostPlatform,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ManifestDoc,
} from './manifests.ts';
import { RegistryClient, type ClientSettings, type TokenCache } from './registry-client.ts';
import type { LayerSink, Platform, RegistriesConfig } from './types.ts';

/** Progress of one pull, for progress bars (`ref` as given to `pull`). */
export type PullProgress =
  | {
      type: 'resolved';
      ref: string;
      digest: string;
      layers: Array<{ digest: string; size: number; present: boolean }>;
    }
  | { type: 'layer-bytes'; ref: string; digest: string; received: number; total: number }
  | { type: 'layer-done'; ref: string; digest: string };

/** Options for {@link RegistryPuller}. */
export interface RegistryPullerOptions {
  /** Mirrors and per-host settings (k3s `registries.yaml` shape). */
  registries?: RegistriesConfig;
  /** Never fall back from mirrors to the registry itself (offline tests). */
  noUpstream?: boolean;
  /** Platform to select from indexes; default the host's (linux/amd64 here). */
  platform?: Platform;
  /** Attempts per request / layer for transient failures (default 3). */
  attempts?: number;
  /** First back-off delay in ms, doubling per attempt (default 250). */
  backoffMs?: number;
  /** Layers downloaded and unpacked at once (default 3). */
  parallelLayers?: number;
  /** Passed to the unpacker (e.g. `user.overlay.opaque` for rootless overlays). */
  unpack?: Pick<UnpackOptions, 'opaqueXattr' | 'preserveOwner' | 'onSkip'>;
  fetch?: typeof fetch;
  /** Told about resolved manifests and layer download progress. */
  onProgress?: (event: PullProgress) => void;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

function validate(ref: string): ImageRef {
  const r = parseImageRef(ref);
  const bad = (why: string): never => {
    throw new ImagePullError(
      `couldn't parse image reference ${JSON.stringify(ref)}: invalid reference format${why}`,
    );
  };
  if (/^[a-f0-9]{64}$/.test(ref)) bad(': cannot specify 64-byte hexadecimal strings');
  if (r.repository.split('/').some((c) => !COMPONENT.test(c))) {
    bad(r.repository.toLowerCase() !== r.repository ? ': repository name must be lowercase' : '');
  }
  if (r.tag !== undefined && !TAG.test(r.tag)) bad('');
  if (r.digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(r.digest)) bad('');
  return r;
}

function transient(e: unknown): boolean {
  if (e instanceof RegistryError) return e.kind === 'transient';
  const code = (e as { code?: string; cause?: { code?: string } }).cause?.code;
  return (
    code === 'UND_ERR_SOCKET' ||
    code === 'ECONNRESET' ||
    (e as { code?: string }).code === 'ECONNRESET' ||
    (e instanceof Error && e.message === 'terminated')
  );
}

/**
 * Pulls images from OCI distribution registries into a {@link LayerSink}: resolves the tag
 * (HEAD, then GET by digest), selects the platform from an index, verifies every blob by digest
 * and size while streaming, unpacks layers (checking their diff_ids) that the sink lacks, then
 * records the image. Satisfies `ImagePuller` structurally. Concurrent pulls of one reference
 * with the same credentials share one run.
 */
export class RegistryPuller {
  private readonly tokens: TokenCache = new Map();
  private readonly inflight = new Map<string, Promise<ImageInfo>>();
  private readonly opts: RegistryPullerOptions;

  constructor(opts: RegistryPullerOptions = {}) {
    this.opts = opts;
  }

  pull(ref: string, auth: PullAuth[], store: LayerSink, signal?: AbortSignal): Promise<ImageInfo> {
    const key = `${ref}\0${JSON.stringify(auth)}`;
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    const p = this.run(ref, auth, store, signal).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private settings(signal: AbortSignal | undefined): ClientSettings {
    return {
      fetch: this.opts.fetch ?? fetch,
      tokens: this.tokens,
      attempts: this.opts.attempts ?? 3,
      backoffMs: this.opts.backoffMs ?? 250,
      signal,
    };
  }

  private async run(
    ref: string,
    auth: PullAuth[],
    store: LayerSink,
    signal: AbortSignal | undefined,
  ): Promise<ImageInfo> {
    const parsed = validate(ref);
    const name = normalizeImageRef(ref);
    const repo = `${parsed.registry}/${parsed.repository}`;
    const settings = this.settings(signal);
    let resolved: { client: RegistryClient; digest: string; doc: ManifestDoc } | undefined;
    let lastError: unknown;
    const endpoints = endpointsFor(
      parsed.registry,
      this.opts.registries ?? {},
      this.opts.noUpstream,
    );
    outer: for (const ep of endpoints) {
      for (const cred of this.credentials(ep, auth)) {
        const client = new RegistryClient(ep, parsed.repository, cred, settings);
        try {
          resolved = { client, ...(await this.resolve(client, parsed, name)) };
          break outer;
        } catch (e) {
          if (signal?.aborted === true) throw pullError(name, 'resolve', e);
          lastError = e;
          if (!(e instanceof RegistryError && e.kind === 'auth')) break;
        }
      }
    }
    if (resolved === undefined) throw pullError(name, 'resolve', lastError);
    try {
      const { client, digest } = resolved;
      const manifest = await this.platformManifest(client, resolved.doc, name);
      const configBytes = await client.getBlobBytes(
        manifest.config.digest,
        manifest.config.size,
        manifest.config.mediaType,
      );
      const diffIds = this.diffIds(configBytes, manifest.layers.length);
      this.opts.onProgress?.({
        type: 'resolved',
        ref,
        digest,
        layers: manifest.layers.map((l, i) => ({
          digest: l.digest,
          size: l.size,
          present: store.hasLayer(diffIds[i] ?? ''),
        })),
      });
      await this.layers(ref, client, manifest.layers, diffIds, store, signal);
      const tags = parsed.tag !== undefined ? [`${repo}:${parsed.tag}`] : [];
      return await store.putImage(configBytes, tags, [`${repo}@${digest}`]);
    } catch (e) {
      throw pullError(name, 'copy', e);
    }
  }

  private credentials(ep: Endpoint, auth: PullAuth[]): Array<PullAuth | undefined> {
    if (ep.config.auth !== undefined) return [ep.config.auth];
    return auth.length > 0 ? auth : [undefined];
  }

  private async resolve(
    client: RegistryClient,
    parsed: ImageRef,
    name: string,
  ): Promise<{ digest: string; doc: ManifestDoc }> {
    let digest = parsed.digest ?? (await client.headManifest(parsed.tag ?? 'latest', name));
    const top = await client.getManifest(digest ?? parsed.tag ?? 'latest', name, digest);
    digest = top.digest;
    return { digest, doc: parseManifest(top.bytes, top.contentType) };
  }

  private async platformManifest(
    client: RegistryClient,
    doc: ManifestDoc,
    name: string,
  ): Promise<Extract<ManifestDoc, { kind: 'manifest' }>> {
    const want = this.opts.platform ?? hostPlatform();
    for (let depth = 0; depth < 4; depth++) {
      if (doc.kind === 'manifest') return doc;
      const pick = selectPlatform(doc.manifests, want);
      if (pick === undefined) {
        throw new RegistryError(
          `no match for platform in manifest: not found (want ${want.os}/${want.architecture})`,
          'NotFound',
        );
      }
      const m = await client.getManifest(pick.digest, name, pick.digest, pick.size);
      doc = parseManifest(m.bytes, pick.mediaType || m.contentType);
    }
    throw new RegistryError('index nesting too deep');
  }

  private diffIds(configBytes: Buffer, layers: number): string[] {
    let config: { rootfs?: { diff_ids?: unknown } };
    try {
      config = JSON.parse(configBytes.toString('utf8')) as typeof config;
    } catch {
      throw new RegistryError('failed to parse image config: invalid JSON');
    }
    const ids = config.rootfs?.diff_ids;
    if (!Array.isArray(ids) || ids.length !== layers || !ids.every((d) => typeof d === 'string')) {
      throw new RegistryError(
        `image config has ${Array.isArray(ids) ? String(ids.length) : 'no'} diff_ids for ${String(layers)} layers`,
      );
    }
    return ids;
  }

  private async layers(
    ref: string,
    client: RegistryClient,
    layers: Descriptor[],
    diffIds: string[],
    store: LayerSink,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < layers.length) {
        const i = next++;
        const desc = layers[i];
        const diffId = diffIds[i];
        if (desc === undefined || diffId === undefined || store.hasLayer(diffId)) continue;
        try {
          await store.putLayer(diffId, (dir) => this.fill(ref, client, desc, diffId, dir, signal));
          this.opts.onProgress?.({ type: 'layer-done', ref, digest: desc.digest });
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const n = Math.max(1, Math.min(this.opts.parallelLayers ?? 3, layers.length));
    const results = await Promise.allSettled(Array.from({ length: n }, worker));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected !== undefined) throw rejected.reason;
  }

  private async fill(
    ref: string,
    client: RegistryClient,
    desc: Descriptor,
    diffId: string,
    dir: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const attempts = this.opts.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        let blob = await client.getBlob(desc.digest, desc.size, desc.mediaType, 'layer');
        const progress = this.opts.onProgress;
        if (progress !== undefined) {
          let received = 0;
          const counter = new Transform({
            transform(c: Buffer, _e, cb) {
              received += c.length;
              progress({
                type: 'layer-bytes',
                ref,
                digest: desc.digest,
                received,
                total: desc.size,
              });
              cb(null, c);
            },
          });
          blob.on('error', (e) => counter.destroy(e));
          blob = blob.pipe(counter);
        }
        const res = await unpackLayer(blob, dir, {
          ...this.opts.unpack,
          ...(signal ? { signal } : {}),
        });
        if (res.diffId !== diffId) {
          throw new RegistryError(
            `failed to extract layer ${diffId}: layer ${desc.digest} unpacked to diff_id ${res.diffId}, expected ${diffId}`,
          );
        }
        return;
      } catch (e) {
        if (signal?.aborted === true) throw e;
        if (!transient(e) || attempt >= attempts) {
          if (e instanceof RegistryError) throw e;
          const why = e instanceof Error ? e.message : String(e);
          throw new RegistryError(`failed to extract layer ${diffId}: ${why}`, 'Unknown');
        }
        for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
        await sleep((this.opts.backoffMs ?? 250) * 2 ** (attempt - 1));
      }
    }
  }
}

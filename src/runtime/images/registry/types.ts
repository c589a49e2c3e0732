import type { ImageInfo } from '../../container-runtime.ts';

/**
 * Where a pull writes layers and the image record. `LocalImageStore` satisfies it; typing the
 * puller against this structural interface keeps the registry client independent of the store.
 */
export interface LayerSink {
  hasLayer(diffId: string): boolean;
  /** `fill` writes the unpacked layer into `dir`; the sink moves it into place on success. */
  putLayer(diffId: string, fill: (dir: string) => Promise<void>): Promise<string>;
  /** Needs every `config.rootfs.diff_ids` layer present. */
  putImage(configBytes: Buffer, repoTags: string[], repoDigests: string[]): Promise<ImageInfo>;
}

/** Per-registry settings, like a k3s `registries.yaml` `configs` entry. */
export interface RegistryHostConfig {
  /** Speak plain HTTP to this host (hosts on 127.0.0.0/8, ::1 and localhost always do). */
  insecure?: boolean;
  /** k3s spelling; `insecure_skip_verify` is taken as `insecure`. */
  tls?: { insecure_skip_verify?: boolean };
  auth?: { username: string; password: string };
}

/** Mirrors and per-host settings (k3s `registries.yaml` shape; `endpoint` lists accepted too). */
export interface RegistriesConfig {
  /** Registry domain (or `*`) → endpoint URLs tried before the registry itself. */
  mirrors?: Record<string, string[] | { endpoint: string[] }>;
  /** Endpoint host (`host[:port]`) → settings. */
  configs?: Record<string, RegistryHostConfig>;
}

/** An OS/architecture pair to select from an index. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

import { isIP } from 'node:net';
import type { RegistriesConfig, RegistryHostConfig } from './types.ts';

/** One place to try a registry API at. */
export interface Endpoint {
  /** Base URL without `/v2`, e.g. `http://127.0.0.1:5000`. */
  base: string;
  /** `host[:port]` of the endpoint (key into `configs`). */
  host: string;
  /** A mirror rather than the registry itself. */
  mirror: boolean;
  config: RegistryHostConfig;
}

/** Hosts Docker talks plain HTTP to by default: localhost, 127.0.0.0/8, ::1. */
export function isLocalHost(hostPort: string): boolean {
  let host = hostPort;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.split(':').length === 2) host = host.slice(0, host.lastIndexOf(':'));
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The API host for a registry domain (`docker.io` is served by `registry-1.docker.io`). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

function hostConfig(config: RegistriesConfig, host: string): RegistryHostConfig {
  return config.configs?.[host] ?? {};
}

function plainHttp(host: string, cfg: RegistryHostConfig): boolean {
  return isLocalHost(host) || cfg.insecure === true || cfg.tls?.insecure_skip_verify === true;
}

function fromUrl(raw: string, config: RegistriesConfig, mirror: boolean, alias = ''): Endpoint {
  const hasScheme = /^[a-z]+:\/\//i.test(raw);
  const provisional = new URL(hasScheme ? raw : `https://${raw}`);
  const host = provisional.host;
  const cfg = config.configs?.[host] ?? (alias !== '' ? hostConfig(config, alias) : {});
  const scheme = hasScheme ? provisional.protocol : plainHttp(host, cfg) ? 'http:' : 'https:';
  const path = provisional.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  return { base: `${scheme}//${host}${path}`, host, mirror, config: cfg };
}

/** Endpoints to try for a registry domain: its mirrors in order, then (unless `noUpstream`) itself. */
export function endpointsFor(
  registry: string,
  config: RegistriesConfig,
  noUpstream = false,
): Endpoint[] {
  const m = config.mirrors?.[registry] ?? config.mirrors?.['*'];
  const list = m === undefined ? [] : Array.isArray(m) ? m : m.endpoint;
  const out = list.map((u) => fromUrl(u, config, true));
  if (!noUpstream || out.length === 0)
    out.push(fromUrl(apiHost(registry), config, false, registry));
  return out;
}

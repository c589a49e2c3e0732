/** The registry puller's public surface. */
export {
  RegistryPuller,
  type PullProgress,
  type RegistryPullerOptions,
} from './registry-puller.ts';
export type { LayerSink, Platform, RegistriesConfig, RegistryHostConfig } from './types.ts';
export {
  credentialsFor,
  credentialsFromConfig,
  normalizeRegistryKey,
  parseDockerConfig,
  type DockerConfigEntry,
} from './credentials.ts';
export { endpointsFor, isLocalHost, type Endpoint } from './endpoints.ts';
export { hostPlatform } from './manifests.ts';

/** What `/version` reports: v1.33 so the kubectl dispatcher picks kubectl 1.33. */
export const kubernetesVersion = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0',
  gitCommit: 'podbay',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

import type { PullAuth } from '../../container-runtime.ts';

/** One entry of a Docker config file: the key it was stored under and what it grants. */
export interface DockerConfigEntry {
  key: string;
  auth: PullAuth;
}

interface RawEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

const HUB_ALIASES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** `https://index.docker.io/v1/` → `docker.io`; `http://r.example:5000/x` → `r.example:5000`. */
export function normalizeRegistryKey(key: string): string {
  const host =
    key
      .replace(/^[a-z]+:\/\//i, '')
      .split('/')[0]
      ?.toLowerCase() ?? '';
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}

function toAuth(raw: RawEntry): PullAuth | undefined {
  const out: PullAuth = {};
  if (typeof raw.auth === 'string' && raw.auth !== '') {
    const decoded = Buffer.from(raw.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      out.username = decoded.slice(0, colon);
      out.password = decoded.slice(colon + 1);
    }
  }
  if (typeof raw.username === 'string' && raw.username !== '') out.username = raw.username;
  if (typeof raw.password === 'string' && raw.password !== '') out.password = raw.password;
  if (typeof raw.identitytoken === 'string' && raw.identitytoken !== '') {
    out.identityToken = raw.identitytoken;
  }
  if (typeof raw.registrytoken === 'string' && raw.registrytoken !== '') {
    out.registryToken = raw.registrytoken;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Parses a Docker config: `{"auths": {KEY: {...}}}` (`config.json`, `.dockerconfigjson`) or the
 * legacy `.dockercfg` form `{KEY: {...}}`. Entries with nothing usable are dropped.
 */
export function parseDockerConfig(json: string): DockerConfigEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null) return [];
  const auths = (doc as { auths?: unknown }).auths;
  const map = (typeof auths === 'object' && auths !== null ? auths : doc) as Record<
    string,
    unknown
  >;
  const out: DockerConfigEntry[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'object' || value === null) continue;
    const auth = toAuth(value);
    if (auth !== undefined) out.push({ key, auth });
  }
  return out;
}

/** Whether a config key's host (which may use `*` label globs) names `host`. */
function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.includes('*')) return false;
  const [pHost = '', pPort] = pattern.split(':');
  const [hHost = '', hPort] = host.split(':');
  if (pPort !== hPort) return false;
  const pl = pHost.split('.');
  const hl = hHost.split('.');
  if (pl.length !== hl.length) return false;
  return pl.every((p, i) => {
    const re = new RegExp(
      `^${p
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^.]*')}$`,
    );
    return re.test(hl[i] ?? '');
  });
}

/**
 * Credentials for `registryHost` (e.g. `docker.io`, `127.0.0.1:5000`) from `imagePullSecrets`
 * data (values base64, as in a Secret's `data`): `kubernetes.io/dockerconfigjson` secrets'
 * `.dockerconfigjson` and `kubernetes.io/dockercfg` secrets' `.dockercfg`, in secret order.
 */
export function credentialsFor(
  registryHost: string,
  secretsData: Array<{ type: string; data: Record<string, string> }>,
): PullAuth[] {
  const host = normalizeRegistryKey(registryHost);
  const out: PullAuth[] = [];
  for (const secret of secretsData) {
    const raw =
      secret.type === 'kubernetes.io/dockercfg'
        ? secret.data['.dockercfg']
        : secret.data['.dockerconfigjson'];
    if (raw === undefined) continue;
    for (const entry of parseDockerConfig(Buffer.from(raw, 'base64').toString('utf8'))) {
      if (hostMatches(normalizeRegistryKey(entry.key), host)) out.push(entry.auth);
    }
  }
  return out;
}

/**
 * Credentials for `registryHost` from a node-level Docker config file's JSON
 * (`~/.docker/config.json` or a kubelet `config.json`): same key matching as secrets.
 */
export function credentialsFromConfig(registryHost: string, json: string): PullAuth[] {
  const host = normalizeRegistryKey(registryHost);
  return parseDockerConfig(json)
    .filter((e) => hostMatches(normalizeRegistryKey(e.key), host))
    .map((e) => e.auth);
}

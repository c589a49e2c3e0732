/**
 * API discovery: the aggregated form (`apidiscovery.k8s.io` v2, and v2beta1 for kubectl
 * 1.27–1.29) and the legacy per-group-version documents, all built once from the ResourceDefs.
 * The aggregated answer must carry its exact media type or kubectl sees zero resources.
 */
import type { ResourceDef } from './resource-def.ts';

const aggregatedType = (v: 'v2' | 'v2beta1'): string =>
  `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

/** Which discovery form the client asked for. */
export function discoveryFormat(accept: string | undefined): 'v2' | 'v2beta1' | 'legacy' {
  if (!accept) return 'legacy';
  const parts = accept.split(',').map((p) => p.replace(/\s+/g, ''));
  for (const p of parts) {
    if (p.includes('g=apidiscovery.k8s.io') && p.includes('as=APIGroupDiscoveryList')) {
      if (p.includes('v=v2beta1')) return 'v2beta1';
      if (p.includes('v=v2')) return 'v2';
    }
  }
  return 'legacy';
}

interface GroupVersionDefs {
  group: string;
  version: string;
  defs: ResourceDef[];
}

function byGroupVersion(defs: ResourceDef[]): GroupVersionDefs[] {
  const out: GroupVersionDefs[] = [];
  for (const def of defs) {
    let gv = out.find((g) => g.group === def.group && g.version === def.version);
    if (!gv) out.push((gv = { group: def.group, version: def.version, defs: [] }));
    gv.defs.push(def);
  }
  return out;
}

function aggregatedResource(def: ResourceDef): object {
  return {
    resource: def.resource,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs,
    ...(def.shortNames?.length ? { shortNames: def.shortNames } : {}),
    ...(def.categories?.length ? { categories: def.categories } : {}),
    ...(def.subresources?.length
      ? {
          subresources: def.subresources.map((s) => ({
            subresource: s.name,
            ...(s.kind
              ? { responseKind: s.kind }
              : { responseKind: { group: def.group, version: def.version, kind: def.kind } }),
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

/** Precomputed discovery documents. */
export class Discovery {
  readonly #groups: GroupVersionDefs[];
  readonly #cache = new Map<string, string>();

  constructor(defs: ResourceDef[]) {
    this.#groups = byGroupVersion(defs);
  }

  #cached(key: string, build: () => object): string {
    let s = this.#cache.get(key);
    if (s === undefined) this.#cache.set(key, (s = JSON.stringify(build())));
    return s;
  }

  /** `/api` or `/apis` in the requested form: [content-type, body]. */
  root(
    which: 'api' | 'apis',
    format: 'v2' | 'v2beta1' | 'legacy',
    serverAddress: string,
  ): [string, string] {
    const groups = this.#groups.filter((g) => (which === 'api' ? g.group === '' : g.group !== ''));
    if (format !== 'legacy') {
      const body = this.#cached(`${which}:${format}`, () => ({
        kind: 'APIGroupDiscoveryList',
        apiVersion: `apidiscovery.k8s.io/${format}`,
        metadata: {},
        items: this.#groupNames(groups).map((name) => ({
          metadata: { name, creationTimestamp: null },
          versions: groups
            .filter((g) => g.group === name)
            .map((g) => ({
              version: g.version,
              resources: g.defs.map(aggregatedResource),
              freshness: 'Current',
            })),
        })),
      }));
      return [aggregatedType(format), body];
    }
    if (which === 'api') {
      return [
        'application/json',
        JSON.stringify({
          kind: 'APIVersions',
          versions: groups.map((g) => g.version),
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
        }),
      ];
    }
    return [
      'application/json',
      this.#cached('apis:legacy', () => ({
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: this.#groupNames(groups).map((name) => this.#legacyGroup(name)),
      })),
    ];
  }

  #groupNames(groups: GroupVersionDefs[]): string[] {
    return [...new Set(groups.map((g) => g.group))];
  }

  #legacyGroup(name: string): object {
    const versions = this.#groups
      .filter((g) => g.group === name)
      .map((g) => ({ groupVersion: `${name}/${g.version}`, version: g.version }));
    return { name, versions, preferredVersion: versions[0] };
  }

  /** `/apis/<group>`, or undefined if the group is not served. */
  group(name: string): string | undefined {
    if (!this.#groups.some((g) => g.group === name)) return undefined;
    return JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...this.#legacyGroup(name) });
  }

  /** `/api/v1` or `/apis/<g>/<v>` (APIResourceList), or undefined if not served. */
  groupVersion(group: string, version: string): string | undefined {
    const gv = this.#groups.find((g) => g.group === group && g.version === version);
    if (!gv) return undefined;
    return this.#cached(`gv:${group}/${version}`, () => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: gv.defs.flatMap((def) => [
        {
          name: def.resource,
          singularName: def.singular,
          namespaced: def.namespaced,
          kind: def.kind,
          verbs: def.verbs,
          ...(def.shortNames?.length ? { shortNames: def.shortNames } : {}),
          ...(def.categories?.length ? { categories: def.categories } : {}),
        },
        ...(def.subresources ?? []).map((s) => ({
          name: `${def.resource}/${s.name}`,
          singularName: '',
          namespaced: def.namespaced,
          ...(s.kind ? { group: s.kind.group, version: s.kind.version } : {}),
          kind: s.kind?.kind ?? def.kind,
          verbs: s.verbs,
        })),
      ]),
    }));
  }
}

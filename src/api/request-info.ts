/**
 * Parses an API path into what it addresses, as kube-apiserver's RequestInfoFactory does:
 * `/api/v1/namespaces/default/pods/web/log` → {group:'', version:'v1', namespace:'default',
 * resource:'pods', name:'web', subresource:'log'}.
 */

/** What a resource URL addresses. */
export interface ResourceRequestInfo {
  group: string;
  version: string;
  /** Namespace from the URL, or '' when none is given. */
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** `/api/v1/watch/...` legacy watch prefix was used. */
  legacyWatch: boolean;
}

/** Non-resource paths and discovery documents. */
export type RequestTarget =
  | { type: 'resource'; info: ResourceRequestInfo }
  | { type: 'groupVersion'; group: string; version: string }
  | { type: 'apiRoot' }
  | { type: 'apisRoot' }
  | { type: 'group'; group: string }
  | { type: 'other'; path: string };

/**
 * Parses `path`. `isNamespaced(group, resource)` tells whether `namespaces/<x>/<resource>`
 * addresses a namespaced resource (rather than a namespace's subresource).
 */
export function parseRequestPath(
  path: string,
  isNamespaced: (group: string, resource: string) => boolean,
): RequestTarget {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'apiRoot' };
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { type: 'apisRoot' };
    if (parts.length === 2) return { type: 'group', group: parts[1]! };
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { type: 'other', path };
  }
  if (rest.length === 0) return { type: 'groupVersion', group, version };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  const info: ResourceRequestInfo = {
    group,
    version,
    namespace: '',
    resource: '',
    name: '',
    subresource: '',
    legacyWatch,
  };
  if (rest[0] === 'namespaces' && rest.length >= 3 && isNamespaced(group, rest[2]!)) {
    info.namespace = rest[1]!;
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length >= 2 && group === '') {
    // The namespace object itself (`namespaces/dev`, `namespaces/dev/status`).
    info.namespace = rest[1]!;
  }
  info.resource = rest[0] ?? '';
  info.name = rest[1] ?? '';
  info.subresource = rest.slice(2).join('/');
  return { type: 'resource', info };
}

/**
 * Writes podbay's cluster, user and context into a kubeconfig, merging with what is there
 * (other contexts are kept), as kind and minikube do.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';

/** The default kubeconfig path (`$KUBECONFIG`'s first entry, else ~/.kube/config). */
export function defaultKubeconfigPath(): string {
  const env = process.env['KUBECONFIG'];
  if (env) return env.split(':')[0]!;
  return join(homedir(), '.kube', 'config');
}

interface Named {
  name: string;
  [k: string]: unknown;
}

interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  preferences?: object;
  [k: string]: unknown;
}

function upsert(list: Named[] | undefined, entry: Named): Named[] {
  const out = (list ?? []).filter((e) => e.name !== entry.name);
  out.push(entry);
  return out;
}

/** Merges context `name` pointing at `server` into the kubeconfig at `path`. */
export function writeKubeconfig(path: string, server: string, name = 'podbay'): void {
  let doc: KubeconfigDoc = {};
  try {
    doc = (parse(readFileSync(path, 'utf8')) as KubeconfigDoc | null) ?? {};
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`Cannot read kubeconfig "${path}"`, { cause: err });
  }
  doc.apiVersion = 'v1';
  doc.kind = 'Config';
  doc.preferences ??= {};
  // insecure-skip-tls-verify lets @kubernetes/client-node accept a plain-HTTP server too.
  doc.clusters = upsert(doc.clusters, {
    name,
    cluster: { server, 'insecure-skip-tls-verify': true },
  });
  doc.users = upsert(doc.users, { name, user: { token: 'podbay' } });
  doc.contexts = upsert(doc.contexts, {
    name,
    context: { cluster: name, user: name, namespace: 'default' },
  });
  doc['current-context'] = name;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.podbay-tmp`;
  writeFileSync(tmp, stringify(doc), { mode: 0o600 });
  renameSync(tmp, path);
}

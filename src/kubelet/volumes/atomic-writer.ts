/**
 * Writes a volume's files so that a container never sees a half-updated set, as the kubelet's
 * AtomicWriter does: the files go into a fresh hidden directory `..<timestamp>`, the `..data`
 * symlink is switched to it with one rename, and each user-visible top-level entry is a symlink
 * through `..data` (`key -> ..data/key`; for `a/b/c` the entry `a -> ..data/a`). Nothing is
 * rewritten when the contents and modes are unchanged; entries no longer in the payload go away.
 */
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join, posix } from 'node:path';

/** One file of a volume. */
export interface FileProjection {
  data: Buffer;
  /** Permission bits (e.g. 0o644). */
  mode: number;
}

/** Relative path → file. */
export type Payload = Map<string, FileProjection>;

const dataLink = '..data';
const dataTmp = '..data_tmp';
const tsDir = /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./;

/** Checks one payload path as the kubelet does; returns the message if it is invalid. */
export function invalidPath(p: string): string | undefined {
  if (p === '') return 'invalid path: must not be empty';
  if (p.length > 4096) return `invalid path: must be less than or equal to 4096 characters`;
  if (posix.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  const parts = p.split('/');
  if (posix.normalize(p).replace(/\/+$/, '') === '.') return `invalid path: must not be '.': ${p}`;
  if (parts.some((s) => s === '..')) return `invalid path: must not contain '..': ${p}`;
  if (parts[0]!.startsWith('..')) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function normalize(payload: Payload): Payload {
  const out: Payload = new Map();
  for (const [p, f] of payload) {
    const bad = invalidPath(p);
    if (bad) throw new Error(bad);
    out.set(posix.normalize(p).replace(/\/+$/, ''), f);
  }
  for (const p of out.keys()) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (out.has(parent))
        throw new Error(`invalid path: ${parent} is both a file and a directory`);
    }
  }
  return out;
}

async function readTree(root: string, rel = ''): Promise<Payload> {
  const out: Payload = new Map();
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of await readTree(root, r)) out.set(k, v);
    else if (e.isFile()) {
      const full = join(root, r);
      out.set(r, { data: await readFile(full), mode: (await stat(full)).mode & 0o7777 });
    }
  }
  return out;
}

function same(a: Payload, b: Payload): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (!o || o.mode !== v.mode || !o.data.equals(v.data)) return false;
  }
  return true;
}

const topLevel = (p: Payload): Set<string> => new Set([...p.keys()].map((k) => k.split('/')[0]!));

function stamp(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${two(d.getUTCMonth() + 1)}_${two(d.getUTCDate())}_${two(d.getUTCHours())}_${two(d.getUTCMinutes())}_${two(d.getUTCSeconds())}.`;
}

/**
 * Makes `dir` (which must exist) hold exactly `payload`. Returns whether anything was written.
 */
export async function writeAtomically(
  dir: string,
  payload: Payload,
  now = new Date(),
): Promise<boolean> {
  const want = normalize(payload);
  const current = await readlink(join(dir, dataLink)).catch(() => undefined);
  const old = current ? await readTree(join(dir, current)).catch(() => undefined) : undefined;
  if (old && same(old, want)) {
    await linkUserVisible(dir, topLevel(want));
    return false;
  }
  const fresh = await mkdtemp(join(dir, stamp(now)));
  await chmod(fresh, 0o755);
  for (const [p, f] of want) {
    const full = join(fresh, p);
    if (p.includes('/')) await mkdir(posix.dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, f.data);
    await chmod(full, f.mode);
  }
  await rm(join(dir, dataTmp), { force: true });
  await symlink(posix.basename(fresh), join(dir, dataTmp));
  await rename(join(dir, dataTmp), join(dir, dataLink));
  const keep = topLevel(want);
  await linkUserVisible(dir, keep);
  for (const name of await readdir(dir)) {
    if (tsDir.test(name) && name !== posix.basename(fresh)) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
  for (const name of old ? topLevel(old) : []) {
    if (keep.has(name)) continue;
    const target = await readlink(join(dir, name)).catch(() => undefined);
    if (target === `${dataLink}/${name}`) await rm(join(dir, name), { force: true });
  }
  return true;
}

async function linkUserVisible(dir: string, names: Set<string>): Promise<void> {
  for (const name of names) {
    const target = `${dataLink}/${name}`;
    const existing = await readlink(join(dir, name)).catch(() => undefined);
    if (existing === target) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    await symlink(target, join(dir, name));
  }
}

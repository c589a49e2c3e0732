/**
 * cgroup housekeeping. runc (cgroupfs driver) creates `<hierarchy>/<cgroupsPath>` in every
 * hierarchy and `runc delete` removes only the leaf, so the runtime removes the pod-level
 * directories itself (notes/runtime.md §5). Works for cgroup v1 (one directory per controller)
 * and v2 (one unified tree).
 */
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

const BASE = '/sys/fs/cgroup';

/** The mounted hierarchies (v1 controllers, or the v2 root itself). */
async function hierarchies(): Promise<string[]> {
  try {
    const entries = await readdir(BASE, { withFileTypes: true });
    if (entries.some((e) => e.name === 'cgroup.controllers')) return [BASE];
    return entries.filter((e) => e.isDirectory()).map((e) => join(BASE, e.name));
  } catch {
    return [];
  }
}

/** Removes `rel` (and any empty children) in every hierarchy; missing dirs are fine. */
export async function removeCgroups(rel: string): Promise<void> {
  const remove = async (dir: string): Promise<void> => {
    let children: string[];
    try {
      children = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => join(dir, e.name));
    } catch {
      return;
    }
    for (const c of children) await remove(c);
    await rmdir(dir).catch(() => undefined);
  };
  for (const h of await hierarchies()) await remove(join(h, rel));
}

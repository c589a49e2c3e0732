/**
 * Resolves the user a container process runs as, as the CRI runtimes do: `runAsUser` /
 * `runAsGroup` win; otherwise the image's `User` (`name`, `uid`, `uid:gid`, `name:group`) is
 * looked up in the container's own `/etc/passwd` and `/etc/group`. The primary gid defaults to
 * the passwd entry's group (0 when there is none).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The process user. */
export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

async function table(rootfs: string, file: string): Promise<string[][]> {
  try {
    const text = await readFile(join(rootfs, 'etc', file), 'utf8');
    return text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

/** Resolves uid/gid for a container; throws with the runtime's wording when a name is unknown. */
export async function resolveUser(
  rootfs: string,
  opts: {
    runAsUser?: number;
    runAsGroup?: number;
    imageUser?: string;
    supplementalGroups: number[];
  },
): Promise<ProcessUser> {
  const [userPart = '', groupPart] = (opts.imageUser ?? '').split(':');
  const passwd = await table(rootfs, 'passwd');
  let uid = 0;
  let gid: number | undefined;
  if (opts.runAsUser !== undefined) {
    uid = opts.runAsUser;
    const entry = passwd.find((e) => e[2] === String(uid));
    if (entry) gid = Number(entry[3]);
  } else if (userPart !== '') {
    const entry = passwd.find((e) => (isNum(userPart) ? e[2] === userPart : e[0] === userPart));
    if (!entry && !isNum(userPart))
      throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = entry ? Number(entry[2]) : Number(userPart);
    if (entry) gid = Number(entry[3]);
  }
  if (opts.runAsGroup !== undefined) gid = opts.runAsGroup;
  else if (groupPart !== undefined && groupPart !== '' && opts.runAsUser === undefined) {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = (await table(rootfs, 'group')).find((e) => e[0] === groupPart);
      if (!g)
        throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  return { uid, gid: gid ?? 0, additionalGids: [...new Set(opts.supplementalGroups)] };
}

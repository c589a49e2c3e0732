/**
 * The few mount operations volumes need: is a directory a mount point (from
 * /proc/self/mountinfo), mount a tmpfs on it, and unmount everything under a directory.
 */
import { readFile, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runCommand } from '../../lib/command.ts';

const run = (cmd: string, args: string[]): Promise<string> => runCommand(cmd, args);

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  mountPoint: string;
  fsType: string;
  superOptions: string;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount table of this process's mount namespace. */
export async function mountTable(): Promise<MountInfo[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    const f = left?.split(' ') ?? [];
    const r = right?.split(' ') ?? [];
    if (f[4] === undefined || r[0] === undefined) continue;
    out.push({ mountPoint: unescape(f[4]), fsType: r[0], superOptions: r[2] ?? '' });
  }
  return out;
}

/** The mount on exactly `dir` (the top-most one), if any. `dir` must be a real path. */
export async function mountAt(dir: string): Promise<MountInfo | undefined> {
  return (await mountTable()).filter((m) => m.mountPoint === dir).at(-1);
}

const TMPFS_MAGIC = 0x01021994;

/**
 * Whether a tmpfs is mounted on exactly `dir` (a real path), the kubelet's way: the file
 * system there is a tmpfs whose device differs from the parent directory's. Unlike reading the
 * mount table (hundreds of lines with many pods, on every volume refresh), this is two stats.
 */
export async function isTmpfsMountPoint(dir: string): Promise<boolean> {
  const [fs, self, parent] = await Promise.all([statfs(dir), stat(dir), stat(dirname(dir))]);
  return fs.type === TMPFS_MAGIC && self.dev !== parent.dev;
}

/** Mounts a tmpfs on `dir`, with `size=<bytes>` when given. */
export async function mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
  const args = ['-t', 'tmpfs'];
  if (sizeBytes !== undefined) args.push('-o', `size=${sizeBytes}`);
  await run('mount', [...args, 'tmpfs', dir]).catch((err: unknown) => {
    throw new Error(`mount tmpfs on ${dir} failed: ${stderrOf(err)}`);
  });
}

/** Unmounts every mount at or below `dir`, deepest first. `dir` must be a real path. */
export async function unmountAllUnder(dir: string): Promise<number> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const under = (await mountTable())
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const p of under) {
    await run('umount', [p]).catch((err: unknown) => {
      throw new Error(`unmount ${p} failed: ${stderrOf(err)}`);
    });
  }
  return under.length;
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr ?? '').trim() || (e.message ?? String(err));
}

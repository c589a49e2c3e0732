/**
 * Mount helpers for the runtime: overlay root filesystems and unmounting that is idempotent
 * (a path that is not mounted is not an error; a path mounted twice is unmounted until clear).
 */
import { readFile } from 'node:fs/promises';
import { runCommand } from '../../lib/command.ts';

/** Mount points currently under (or equal to) `path`, deepest first. */
export async function mountsUnder(path: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const point = mp.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === path || point.startsWith(path.endsWith('/') ? path : `${path}/`)) out.push(point);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or under `path` (repeatedly, for stacked mounts). */
export async function unmountAll(path: string): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const points = await mountsUnder(path);
    if (points.length === 0) return;
    for (const p of points) await runCommand('umount', [p]).catch(() => undefined);
  }
  const left = await mountsUnder(path);
  if (left.length) await Promise.all(left.map((p) => runCommand('umount', ['-l', p])));
}

/** Mounts an overlay of `lowerDirs` (top-most first) with a writable upper dir at `target`. */
export async function mountOverlay(
  lowerDirs: string[],
  upper: string,
  work: string,
  target: string,
): Promise<void> {
  if (lowerDirs.length === 0) throw new Error('an image has at least one layer');
  const options = `lowerdir=${lowerDirs.join(':')},upperdir=${upper},workdir=${work}`;
  await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', options, target]);
}

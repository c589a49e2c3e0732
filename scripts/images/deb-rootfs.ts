// Root filesystems from Debian packages without running any maintainer script: resolve the
// Depends/Pre-Depends closure of a package list with apt-cache (candidate versions), fetch the
// .debs with `apt-get download` into a cache dir (verified by SHA256), and unpack each one's data
// tar into a merged-/usr directory tree. Nothing is installed on the host.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** One resolved binary package (the candidate version apt would install). */
export interface DebPackage {
  name: string;
  version: string;
  arch: string;
  sha256: string;
  /** Direct dependencies as alternatives groups, names only. */
  depends: string[][];
  /** Virtual package names it provides. */
  provides: string[];
}

/**
 * Packages a container rootfs never needs although something depends on them: they only serve
 * maintainer scripts (debconf, dpkg, install-info) or tools an image leaves out.
 */
export const INSTALL_ONLY_PACKAGES = new Set([
  'debconf',
  'debconf-2.0',
  'cdebconf',
  'dpkg',
  'install-info',
  'iproute2',
  'perl-base',
  'init-system-helpers',
  'lsb-base',
  'sysvinit-utils',
  'usrmerge',
  'usr-is-merged',
  'adduser',
]);

/** Runs a command; resolves stdout, rejects with the tail of stderr on a non-zero exit. */
export function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${String(code)}: ${err.slice(-600)}`));
    });
  });
}

function parseDeps(field: string | undefined): string[][] {
  if (field === undefined || field.trim() === '') return [];
  return field.split(',').map((group) =>
    group
      .split('|')
      .map((alt) => (alt.trim().split(/[\s(]/)[0] ?? '').replace(/:any$/, ''))
      .filter((n) => n.length > 0),
  );
}

/** Parses `apt-cache show --no-all-versions` output into packages keyed by name. */
export function parseAptShow(text: string): Map<string, DebPackage> {
  const out = new Map<string, DebPackage>();
  for (const record of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of record.split('\n')) {
      if (/^\s/.test(line) && last !== '') {
        fields.set(last, `${fields.get(last) ?? ''}\n${line}`);
        continue;
      }
      const i = line.indexOf(':');
      if (i <= 0) continue;
      last = line.slice(0, i);
      fields.set(last, line.slice(i + 1).trim());
    }
    const name = fields.get('Package');
    const version = fields.get('Version');
    if (name === undefined || version === undefined || out.has(name)) continue;
    out.set(name, {
      name,
      version,
      arch: fields.get('Architecture') ?? 'amd64',
      sha256: fields.get('SHA256') ?? '',
      depends: [...parseDeps(fields.get('Pre-Depends')), ...parseDeps(fields.get('Depends'))],
      provides: parseDeps(fields.get('Provides')).flat(),
    });
  }
  return out;
}

/** Every package name apt-cache reaches from `roots` (all alternatives; virtual names dropped). */
async function reachable(roots: string[]): Promise<string[]> {
  const out = await run('apt-cache', [
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    ...roots,
  ]);
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const t = line.trim();
    if (t === '' || t.includes(':') || t.startsWith('<')) {
      const m = /^\|?[A-Za-z-]+: ([^<\s]\S*)$/.exec(t);
      if (m?.[1] !== undefined) names.add(m[1].replace(/:any$/, ''));
      continue;
    }
    names.add(t);
  }
  return [...names].sort();
}

/**
 * The dependency closure of each root list (candidate versions; for each group the first
 * alternative that is a real or provided package; names in `exclude` dropped), sorted by name.
 * Two apt-cache calls in all (apt here keeps no binary cache, so each call costs about 1 s).
 */
export async function resolvePackageSets(
  rootSets: string[][],
  exclude: Set<string> = INSTALL_ONLY_PACKAGES,
): Promise<DebPackage[][]> {
  const names = await reachable([...new Set(rootSets.flat())]);
  const text = await run('apt-cache', ['show', '--no-all-versions', ...names]);
  const all = parseAptShow(text);
  const providers = new Map<string, string>();
  for (const p of all.values())
    for (const v of p.provides) if (!providers.has(v)) providers.set(v, p.name);
  const real = (n: string): string | undefined => (all.has(n) ? n : providers.get(n));
  return rootSets.map((roots) => {
    const chosen = new Map<string, DebPackage>();
    const provided = new Set<string>();
    const queue: string[][] = roots.map((r) => [r]);
    for (let g = queue.shift(); g !== undefined; g = queue.shift()) {
      if (g.some((n) => chosen.has(n) || provided.has(n))) continue;
      const alts = g.filter((n) => !exclude.has(n));
      if (alts.length === 0) continue;
      const pick = alts.map(real).find((n) => n !== undefined && !exclude.has(n));
      if (pick === undefined) throw new Error(`no installable package among: ${g.join(' | ')}`);
      if (chosen.has(pick)) continue;
      const p = all.get(pick);
      if (p === undefined) throw new Error(`apt-cache show ${pick}: nothing`);
      chosen.set(pick, p);
      for (const v of p.provides) provided.add(v);
      queue.push(...p.depends);
    }
    return [...chosen.values()].sort((a, b) => a.name.localeCompare(b.name));
  });
}

/** The file name `apt-get download` gives a package. */
export const debFileName = (p: DebPackage): string =>
  `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.arch}.deb`;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

async function cachedOk(path: string, p: DebPackage): Promise<boolean> {
  try {
    await stat(path);
  } catch {
    return false;
  }
  return p.sha256 === '' || (await sha256File(path)) === p.sha256;
}

/**
 * Makes sure every package's .deb is in `debDir` (reusing apt's own archive cache when it holds
 * the same file, else `apt-get download` from the configured mirror); returns their paths.
 */
export async function fetchDebs(pkgs: DebPackage[], debDir: string): Promise<string[]> {
  await mkdir(debDir, { recursive: true });
  const need: DebPackage[] = [];
  for (const p of pkgs) {
    const path = join(debDir, debFileName(p));
    if (await cachedOk(path, p)) continue;
    const apt = join('/var/cache/apt/archives', debFileName(p));
    if (await cachedOk(apt, p)) {
      await copyFile(apt, `${path}.tmp`);
      await rename(`${path}.tmp`, path);
      continue;
    }
    need.push(p);
  }
  if (need.length > 0) {
    await run('apt-get', ['download', '-q', ...need.map((p) => `${p.name}=${p.version}`)], debDir);
    for (const p of need) {
      if (!(await cachedOk(join(debDir, debFileName(p)), p)))
        throw new Error(`${debFileName(p)}: missing or wrong SHA256 after apt-get download`);
    }
  }
  return pkgs.map((p) => join(debDir, debFileName(p)));
}

/** Creates the merged-/usr skeleton (bin, sbin, lib, lib64 as links into usr/). */
export async function mergedUsrSkeleton(root: string): Promise<void> {
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) {
    await mkdir(join(root, 'usr', d), { recursive: true });
    await symlink(`usr/${d}`, join(root, d));
  }
}

/** Unpacks a .deb's data into `root` (owners and modes kept, directory symlinks followed). */
export function unpackDeb(deb: string, root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn(
      'tar',
      ['-x', '-p', '--numeric-owner', '--keep-directory-symlink', '-C', root, '-f', '-'],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let err = '';
    data.stderr.on('data', (d: Buffer) => (err += d.toString()));
    tar.stderr.on('data', (d: Buffer) => (err += d.toString()));
    data.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} ${deb} exited ${String(code)}: ${err.slice(-500)}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    data.on('error', reject);
    tar.on('error', reject);
    data.on('close', done('dpkg-deb'));
    tar.on('close', done('tar'));
  });
}

/** Writes a reproducible layer tar of `root` (sorted, fixed mtime, numeric owners kept). */
export async function tarRootfs(root: string, out: string): Promise<void> {
  await run('tar', [
    '--sort=name',
    '--mtime=@1700000000',
    '--numeric-owner',
    '--format=pax',
    '--pax-option=delete=atime,delete=ctime',
    '-C',
    root,
    '-cf',
    out,
    '.',
  ]);
}

// Real images from Debian packages, offline except for the configured Debian mirror: `debian`
// (bookworm, latest), `nginx` (1.27, latest: Debian's nginx with file logs and stub_status) and
// an alpine-like busybox image (latest, 3.19). One gzip layer per image, cached under
// $TMPDIR/podbay-test-images/debian-images keyed by package versions, so a second run only
// pushes. Usage: node --import tsx scripts/images/debian-images.ts push REGISTRY_URL [names...]
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipLayer, type CachedLayer } from './busybox-image.ts';
import {
  fetchDebs,
  mergedUsrSkeleton,
  resolvePackageSets,
  tarRootfs,
  unpackDeb,
  type DebPackage,
} from './deb-rootfs.ts';
import {
  finishBusyboxRootfs,
  finishDebianRootfs,
  GENERATED_TEXT,
  RECIPE_VERSION,
  RECIPES,
  type DebianImageName,
  type ImageRecipe,
} from './deb-recipes.ts';
import { pushImage, type PushTarget } from './oci-push.ts';

export { RECIPES, type DebianImageName, type ImageRecipe };

export const DEBIAN_IMAGE_NAMES: DebianImageName[] = ['debian', 'nginx', 'alpine'];

/** A built (or cached) image: its one layer, config and the packages it holds. */
export interface BuiltDebianImage {
  name: DebianImageName;
  repo: string;
  tags: string[];
  layer: CachedLayer;
  /** Uncompressed layer size in bytes. */
  tarSize: number;
  /** `name=version` of every unpacked package. */
  packages: string[];
  config: Buffer;
  /** True when the layer came from the cache. */
  cached: boolean;
}

export interface BuildOptions {
  /** Defaults to $TMPDIR/podbay-test-images. */
  cacheDir?: string;
  /** Defaults to all three. */
  names?: DebianImageName[];
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A fingerprint of apt's package lists: while it holds, candidate versions cannot change. */
async function aptListsState(): Promise<string> {
  const dir = '/var/lib/apt/lists';
  const parts: string[] = [];
  for (const f of (await readdir(dir)).sort()) {
    if (!f.endsWith('Packages') && !f.endsWith('Release')) continue;
    const s = await stat(join(dir, f));
    parts.push(`${f}:${String(s.size)}:${String(s.mtimeMs)}`);
  }
  return parts.join('\n');
}

/** Resolved package sets, remembered while apt's lists are unchanged (saves ~4 s of apt-cache). */
async function resolveCached(dir: string, recipes: ImageRecipe[]): Promise<DebPackage[][]> {
  const key = sha(`${await aptListsState()}\n${JSON.stringify(recipes.map((r) => r.roots))}`);
  const file = join(dir, `resolved-${key.slice(0, 16)}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DebPackage[][];
  } catch {
    // resolve below
  }
  const sets = await resolvePackageSets(recipes.map((r) => r.roots));
  const tmp = `${file}.${String(process.pid)}.tmp`;
  await writeFile(tmp, JSON.stringify(sets));
  await rename(tmp, file);
  return sets;
}

function imageConfig(recipe: ImageRecipe, diffId: string, packages: string[]): Buffer {
  const created = '2023-11-14T22:13:20Z';
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created,
      config: {
        ...recipe.config,
        Labels: { 'org.opencontainers.image.description': `podbay offline ${recipe.name}` },
      },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [
        {
          created,
          created_by: `podbay: dpkg-deb -x of ${String(packages.length)} Debian packages`,
        },
      ],
    }),
  );
}

async function buildRootfs(recipe: ImageRecipe, debs: string[], work: string): Promise<string> {
  const root = join(work, 'rootfs');
  await mkdir(root, { recursive: true });
  if (recipe.layout === 'debian') {
    await mergedUsrSkeleton(root);
    for (const deb of debs) await unpackDeb(deb, root);
    await finishDebianRootfs(root, recipe);
  } else {
    const staging = join(work, 'staging');
    await mkdir(staging, { recursive: true });
    for (const deb of debs) await unpackDeb(deb, staging);
    await finishBusyboxRootfs(staging, root);
  }
  const tar = join(work, 'layer.tar');
  await tarRootfs(root, tar);
  return tar;
}

async function buildOne(
  recipe: ImageRecipe,
  pkgs: DebPackage[],
  dir: string,
): Promise<BuiltDebianImage> {
  const packages = pkgs.map((p) => `${p.name}=${p.version}`);
  const key = sha(
    JSON.stringify([RECIPE_VERSION, recipe, packages, GENERATED_TEXT, process.arch]),
  ).slice(0, 16);
  const blob = join(dir, `${recipe.name}-${key}.tar.gz`);
  const meta = join(dir, `${recipe.name}-${key}.json`);
  const done = (layer: CachedLayer, tarSize: number, cached: boolean): BuiltDebianImage => ({
    name: recipe.name,
    repo: recipe.repo,
    tags: recipe.tags,
    layer,
    tarSize,
    packages,
    config: imageConfig(recipe, layer.diffId, packages),
    cached,
  });
  try {
    const m = JSON.parse(await readFile(meta, 'utf8')) as CachedLayer & { tarSize: number };
    if ((await stat(blob)).size === m.size) return done({ ...m, path: blob }, m.tarSize, true);
  } catch {
    // build it
  }
  const debs = await fetchDebs(pkgs, join(dir, 'debs'));
  const work = await mkdtemp(join(dir, `build-${recipe.name}-`));
  try {
    const tar = await buildRootfs(recipe, debs, work);
    const tarSize = (await stat(tar)).size;
    const layer = await gzipLayer(tar, blob);
    await writeFile(meta, JSON.stringify({ ...layer, tarSize }));
    return done(layer, tarSize, false);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Builds (or takes from the cache) the images; needs root (file owners) and apt. */
export async function buildDebianImages(opts: BuildOptions = {}): Promise<BuiltDebianImage[]> {
  const dir = join(opts.cacheDir ?? join(tmpdir(), 'podbay-test-images'), 'debian-images');
  await mkdir(dir, { recursive: true });
  const recipes = (opts.names ?? DEBIAN_IMAGE_NAMES).map((n) => RECIPES[n]);
  const sets = await resolveCached(dir, recipes);
  const out: BuiltDebianImage[] = [];
  for (const [i, recipe] of recipes.entries()) out.push(await buildOne(recipe, sets[i] ?? [], dir));
  return out;
}

/** The result of pushing one image. */
export interface PushedDebianImage extends BuiltDebianImage {
  /** Index digest (what a puller records as the repo digest). */
  digest: string;
}

/** Builds (cached) and pushes the images, linux/amd64, each under its repo and tags. */
export async function pushDebianImages(
  target: PushTarget,
  opts: BuildOptions = {},
): Promise<PushedDebianImage[]> {
  const out: PushedDebianImage[] = [];
  for (const img of await buildDebianImages(opts)) {
    const digest = await pushImage(target, img.repo, img.tags, [
      { architecture: 'amd64', config: img.config, layers: [img.layer] },
    ]);
    out.push({ ...img, digest });
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const [cmd, url, ...names] = argv;
  if (cmd !== 'push' || url === undefined) {
    console.error('usage: debian-images.ts push REGISTRY_URL [debian|nginx|alpine ...]');
    process.exitCode = 2;
    return;
  }
  const bad = names.filter((n) => !(DEBIAN_IMAGE_NAMES as string[]).includes(n));
  if (bad.length > 0) throw new Error(`unknown image(s): ${bad.join(', ')}`);
  const t0 = Date.now();
  const pushed = await pushDebianImages(
    { url: url.replace(/\/$/, '') },
    names.length > 0 ? { names: names as DebianImageName[] } : {},
  );
  for (const p of pushed) {
    const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
    console.log(
      `${p.repo}:{${p.tags.join(',')}} ${p.digest} layer ${mb(p.layer.size)} gzip / ` +
        `${mb(p.tarSize)} tar, ${String(p.packages.length)} packages${p.cached ? ' (cached)' : ''}`,
    );
  }
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] !== undefined && import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}

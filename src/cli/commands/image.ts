/**
 * `podbay image import|load|pull|ls|rm`: works on the local image store (`<data-dir>/images`) directly, so
 * it needs no running daemon; the daemon sees the changes on its next look at the store.
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ImageInfo } from '../../runtime/container-runtime.ts';
import { normalizeImageRef, parseImageRef } from '../../runtime/images/image-ref.ts';
import { importName } from '../../runtime/images/local-import.ts';
import { humanSize, storeFor, UsageError } from './image-cli-common.ts';
import { loadUsage, runLoad } from './image-load.ts';
import { pullUsage, runPull } from './image-pull.ts';

export { humanSize } from './image-cli-common.ts';

export const imageUsage = `Usage:
  podbay image import ROOTFS.tar[.gz] NAME[:TAG] [--entrypoint CMD] [--cmd CMD] [--env K=V]...
                      [--workdir DIR] [--user USER] [--data-dir DIR]
      Import a flat rootfs tarball (plain or gzip) as a one-layer image; prints its id.
      CMD is a JSON array ('["sh","-c","echo hi"]') or words split on spaces ('sleep 3600').
${loadUsage}
${pullUsage}
  podbay image ls [--data-dir DIR]
      List local images: repository, tag, repo digest, id, size.
  podbay image rm REF... [--data-dir DIR]
      Untag REF (name, name:tag, id or id prefix); the image goes with its last tag.`;

/** `["a","b"]` as JSON, or words split on white space. */
export function parseCommandFlag(flag: string, value: string): string[] {
  const text = value.trim();
  if (!text.startsWith('[')) return text.split(/\s+/).filter((w) => w !== '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--${flag}: invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
    throw new UsageError(`--${flag}: want a JSON array of strings`);
  }
  return parsed;
}

/**
 * Rows of `podbay image ls`: one per tag (untagged images show `<none>`), sorted by name; the
 * DIGEST column is the repo digest (first 12 hex digits) the image has in that repository.
 */
export function imageRows(images: ImageInfo[]): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const id = img.id.replace(/^sha256:/, '').slice(0, 12);
    const size = humanSize(img.size);
    const digestIn = (repo: string): string => {
      const d = img.repoDigests.find((x) => x.slice(0, x.indexOf('@')) === repo);
      return d === undefined
        ? '<none>'
        : d
            .slice(d.indexOf('@') + 1)
            .replace(/^sha256:/, '')
            .slice(0, 12);
    };
    const names: [string, string][] = img.repoTags.map((t) => {
      const r = parseImageRef(t);
      return [`${r.registry}/${r.repository}`, r.tag ?? '<none>'];
    });
    if (names.length === 0) {
      for (const d of img.repoDigests) names.push([d.slice(0, d.indexOf('@')), '<none>']);
    }
    if (names.length === 0) names.push(['<none>', '<none>']);
    for (const [repo, tag] of names) rows.push([repo, tag, digestIn(repo), id, size]);
  }
  return rows.sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));
}

/** Left-aligned columns separated by at least three spaces. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      entrypoint: { type: 'string' },
      cmd: { type: 'string' },
      env: { type: 'string', multiple: true },
      workdir: { type: 'string' },
      user: { type: 'string' },
    },
  });
  if (positionals.length !== 2) throw new UsageError('image import takes ROOTFS.tar and NAME');
  const [tarPath, name] = positionals as [string, string];
  const env = values.env ?? [];
  const badEnv = env.find((e) => !/^[^=]+=/.test(e));
  if (badEnv !== undefined) throw new UsageError(`--env "${badEnv}": want NAME=VALUE`);
  try {
    importName(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const st = await stat(tarPath).catch(() => undefined);
  if (!st?.isFile()) throw new Error(`cannot read "${tarPath}": no such file`);
  const info = await storeFor(values['data-dir']).importRootfs(tarPath, name, {
    ...(values.entrypoint !== undefined
      ? { entrypoint: parseCommandFlag('entrypoint', values.entrypoint) }
      : {}),
    ...(values.cmd !== undefined ? { cmd: parseCommandFlag('cmd', values.cmd) } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(values.workdir !== undefined ? { workingDir: values.workdir } : {}),
    ...(values.user !== undefined ? { user: values.user } : {}),
  });
  console.log(info.id);
  return 0;
}

async function runList(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } } });
  const images = await storeFor(values['data-dir']).listImages();
  console.log(table(['IMAGE', 'TAG', 'DIGEST', 'IMAGE ID', 'SIZE'], imageRows(images)));
  return 0;
}

async function runRemove(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' } },
  });
  if (positionals.length === 0) throw new UsageError('image rm takes at least one REF');
  const store = storeFor(values['data-dir']);
  let code = 0;
  for (const ref of positionals) {
    const before = await store.imageStatus(ref);
    if (!before) {
      console.error(`error: image "${ref}" not found`);
      code = 1;
      continue;
    }
    let name: string | undefined;
    try {
      const r = parseImageRef(ref);
      name =
        r.digest !== undefined
          ? `${r.registry}/${r.repository}@${r.digest}`
          : normalizeImageRef(ref);
    } catch {
      name = undefined;
    }
    try {
      await store.removeImage(ref);
    } catch (e) {
      console.error(`error: cannot remove "${ref}": ${(e as Error).message}`);
      code = 1;
      continue;
    }
    if (name !== undefined && [...before.repoTags, ...before.repoDigests].includes(name)) {
      console.log(`Untagged: ${name}`);
    }
    if (!(await store.imageStatus(before.id))) console.log(`Deleted: ${before.id}`);
  }
  return code;
}

/** Runs `podbay image …`; resolves with the exit code. */
export async function runImage(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'import':
        return await runImport(rest);
      case 'load':
        return await runLoad(rest);
      case 'pull':
        return await runPull(rest);
      case 'ls':
      case 'list':
        return await runList(rest);
      case 'rm':
      case 'remove':
        return await runRemove(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(imageUsage);
        return 0;
      default:
        throw new UsageError(`unknown image command "${sub}"`);
    }
  } catch (e) {
    const usage =
      e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`error: ${(e as Error).message}`);
    if (usage) {
      console.error(`\n${imageUsage}`);
      return 2;
    }
    return 1;
  }
}

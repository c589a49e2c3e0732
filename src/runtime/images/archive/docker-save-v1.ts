/**
 * `docker save` archives from before Docker 1.10: no `manifest.json`, only `repositories`
 * (`{repo: {tag: <top layer id>}}`) and per layer `<id>/json` (v1 image JSON with `parent`) and
 * `<id>/layer.tar`. There is no image config, so one is made from the top layer's v1 JSON, with
 * diff_ids computed by reading every layer once.
 */
import { createHash } from 'node:crypto';
import { decompressed } from '../unpack/decompress.ts';
import { archiveTag, parseJson, planImage, type PlannedImage } from './archive-plan.ts';
import { ArchiveError, type ArchiveSource } from './archive-source.ts';

interface V1Json {
  id?: unknown;
  parent?: unknown;
  created?: unknown;
  architecture?: unknown;
  os?: unknown;
  config?: unknown;
  container_config?: { Cmd?: unknown } | null;
}

const idPattern = /^[a-f0-9]{64}$/;

async function diffIdOf(src: ArchiveSource, path: string): Promise<string> {
  const { stream } = await decompressed(await src.stream(path));
  const hash = createHash('sha256');
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

async function planOne(src: ArchiveSource, topId: string, tags: string[]): Promise<PlannedImage> {
  const chain: Array<{ id: string; json: V1Json }> = [];
  for (let id: unknown = topId; id !== undefined && id !== '';) {
    if (typeof id !== 'string' || !idPattern.test(id)) {
      throw new ArchiveError(`invalid layer id ${JSON.stringify(id)}`);
    }
    if (chain.length > 256 || chain.some((c) => c.id === id)) {
      throw new ArchiveError('layer parent chain is too long or loops');
    }
    const json = parseJson(await src.read(`${id}/json`), `${id}/json`) as V1Json;
    chain.push({ id, json });
    id = json.parent;
  }
  chain.reverse();
  const layers = chain.map((c) => ({ path: `${c.id}/layer.tar` }));
  const diffIds: string[] = [];
  for (const l of layers) {
    if (!(await src.has(l.path))) throw new ArchiveError(`archive has no layer file ${l.path}`);
    diffIds.push(await diffIdOf(src, l.path));
  }
  const top = chain.at(-1)!.json;
  const config = Buffer.from(
    JSON.stringify({
      architecture: typeof top.architecture === 'string' ? top.architecture : 'amd64',
      os: typeof top.os === 'string' ? top.os : 'linux',
      ...(typeof top.created === 'string' ? { created: top.created } : {}),
      config: typeof top.config === 'object' && top.config !== null ? top.config : {},
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: chain.map(({ json }) => {
        const cmd = json.container_config?.Cmd;
        return {
          ...(typeof json.created === 'string' ? { created: json.created } : {}),
          ...(Array.isArray(cmd) ? { created_by: cmd.join(' ') } : {}),
        };
      }),
    }),
  );
  return planImage(src, config, tags, layers);
}

/** Reads the images of a pre-1.10 `docker save` archive (it has `repositories`). */
export async function planDockerSaveV1(src: ArchiveSource): Promise<PlannedImage[]> {
  const repos = parseJson(await src.read('repositories'), 'repositories');
  if (typeof repos !== 'object' || repos === null || Array.isArray(repos)) {
    throw new ArchiveError('repositories: want {"name": {"tag": "<layer id>"}}');
  }
  const byTop = new Map<string, string[]>();
  for (const [repo, tags] of Object.entries(repos as Record<string, unknown>)) {
    if (typeof tags !== 'object' || tags === null) {
      throw new ArchiveError(`repositories: ${repo} has no tags`);
    }
    for (const [tag, id] of Object.entries(tags as Record<string, unknown>)) {
      if (typeof id !== 'string') throw new ArchiveError(`repositories: ${repo}:${tag} has no id`);
      byTop.set(id, [...(byTop.get(id) ?? []), archiveTag(`${repo}:${tag}`)]);
    }
  }
  if (byTop.size === 0) throw new ArchiveError('repositories names no image');
  const images: PlannedImage[] = [];
  for (const [top, tags] of byTop) images.push(await planOne(src, top, tags));
  return images;
}

/**
 * `podbay image pull`: pulls through the registry client straight into the local store (no
 * daemon needed). On a terminal each layer gets a progress bar; otherwise plain lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { normalizeImageRef } from '../../runtime/images/image-ref.ts';
import { RegistryPuller, type PullProgress } from '../../runtime/images/registry/index.ts';
import type { RegistriesConfig } from '../../runtime/images/registry/types.ts';
import { defaultDataDir } from '../defaults.ts';
import { humanSize, parsePlatformFlag, storeFor, UsageError } from './image-cli-common.ts';

export const pullUsage = `  podbay image pull REF [--registries FILE] [--platform OS/ARCH] [--data-dir DIR]
      Pull an image from its registry (mirrors and per-registry settings from FILE, default
      <data-dir>/registries.yaml, as k3s reads it); a progress bar per layer on a terminal.`;

/** Where progress goes: a terminal gets redrawn bars, anything else plain lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

interface LayerState {
  digest: string;
  total: number;
  received: number;
  state: 'waiting' | 'pulling' | 'exists' | 'done';
}

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Renders pull progress: bars redrawn in place on a TTY, one line per finished layer otherwise. */
export class PullProgressView {
  private layers: LayerState[] = [];
  private drawn = 0;
  private lastDraw = 0;
  digest: string | undefined;

  constructor(
    private readonly out: ProgressOutput,
    private readonly barWidth = 30,
    private readonly minIntervalMs = 100,
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  start(ref: string): void {
    this.out.write(`Pulling ${ref}\n`);
  }

  /** The line of one layer as shown on a terminal. */
  line(l: LayerState): string {
    const id = short(l.digest);
    if (l.state === 'exists') return `${id}: Already exists`;
    if (l.state === 'done') return `${id}: Pull complete (${humanSize(l.total)})`;
    if (l.state === 'waiting') return `${id}: Waiting`;
    const frac = l.total > 0 ? Math.min(1, l.received / l.total) : 0;
    const full = Math.floor(frac * this.barWidth);
    const bar =
      '='.repeat(full) +
      (full < this.barWidth ? '>' : '') +
      ' '.repeat(Math.max(0, this.barWidth - full - 1));
    return `${id}: [${bar}] ${humanSize(l.received)}/${humanSize(l.total)}`;
  }

  private redraw(force: boolean): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = now;
    let text = this.drawn > 0 ? `\x1b[${String(this.drawn)}A` : '';
    for (const l of this.layers) text += `\x1b[2K${this.line(l)}\n`;
    this.drawn = this.layers.length;
    this.out.write(text);
  }

  onEvent(e: PullProgress): void {
    if (e.type === 'resolved') {
      this.digest = e.digest;
      this.layers = e.layers.map((l) => ({
        digest: l.digest,
        total: l.size,
        received: l.present ? l.size : 0,
        state: l.present ? 'exists' : 'waiting',
      }));
      if (!this.tty) {
        for (const l of this.layers) if (l.state === 'exists') this.out.write(`${this.line(l)}\n`);
      }
      this.redraw(true);
      return;
    }
    const l = this.layers.find((x) => x.digest === e.digest);
    if (l === undefined) return;
    if (e.type === 'layer-bytes') {
      l.state = 'pulling';
      l.received = e.received;
      l.total = e.total;
      this.redraw(false);
    } else {
      l.state = 'done';
      l.received = l.total;
      if (!this.tty) this.out.write(`${this.line(l)}\n`);
      this.redraw(true);
    }
  }

  finish(ref: string, digest: string | undefined): void {
    this.redraw(true);
    this.out.write(`Pulled ${ref}${digest !== undefined ? ` (${digest})` : ''}\n`);
  }
}

function readRegistries(file: string | undefined, dataDir: string): RegistriesConfig | undefined {
  const path = file ?? join(dataDir, 'registries.yaml');
  if (!existsSync(path)) {
    if (file !== undefined) throw new Error(`cannot read "${file}": no such file`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: invalid YAML: ${(e as Error).message}`, { cause: e });
  }
  if (parsed === null || parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${path}: want a mapping with "mirrors" and/or "configs"`);
  }
  return parsed;
}

export async function runPull(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      registries: { type: 'string' },
      platform: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('image pull takes one REF');
  const ref = positionals[0]!;
  const platform = values.platform !== undefined ? parsePlatformFlag(values.platform) : undefined;
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const registries = readRegistries(values.registries, dataDir);
  const view = new PullProgressView(process.stdout);
  const puller = new RegistryPuller({
    ...(registries ? { registries } : {}),
    ...(platform ? { platform } : {}),
    onProgress: (e) => view.onEvent(e),
  });
  const store = storeFor(dataDir, puller);
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  view.start(ref);
  try {
    const info = await store.pullImage(ref, [], ac.signal);
    view.finish(normalizeImageRef(ref), view.digest ?? info.repoDigests[0]?.split('@')[1]);
  } finally {
    process.off('SIGINT', onSignal);
  }
  return 0;
}

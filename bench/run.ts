/**
 * Runs podbay's benchmarks and prints their figures: `npm run bench [-- NAME…]`.
 * Names: api, kubelet, pods, streaming. (More arrive with images.)
 */
import { benchApi } from './api.bench.ts';
import { benchKubelet } from './kubelet.bench.ts';
import { benchPods } from './pods.bench.ts';
import { benchImages } from './images.bench.ts';
import { benchStreaming } from './streaming.bench.ts';

const all: Record<string, () => Promise<void>> = {
  api: benchApi,
  kubelet: benchKubelet,
  pods: benchPods,
  images: benchImages,
  streaming: benchStreaming,
};
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of names.length ? names : Object.keys(all)) {
  const run = all[name];
  if (!run) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  await run();
}

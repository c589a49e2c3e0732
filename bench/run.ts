/**
 * Runs podbay's benchmarks and prints their figures: `npm run bench [-- NAME…]`.
 * Names: api, kubelet. (More arrive with the runtime, images and streaming.)
 */
import { benchApi } from './api.bench.ts';
import { benchKubelet } from './kubelet.bench.ts';

const all: Record<string, () => Promise<void>> = { api: benchApi, kubelet: benchKubelet };
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of names.length ? names : Object.keys(all)) {
  const run = all[name];
  if (!run) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  await run();
}

// Offline image toolkit entry point.
//   node --import tsx scripts/images/local-registry.ts serve [--port N] [--data DIR]
//       starts Debian's docker-registry on 127.0.0.1, pushes busybox (1.36, 1.28, latest) and
//       serves until Ctrl-C. --data keeps the storage between runs (default: a temp dir).
//   node --import tsx scripts/images/local-registry.ts push --url http://127.0.0.1:N [--repo R]
//       pushes busybox to a running registry.
import { parseArgs } from 'node:util';
import { BUSYBOX_TAGS, pushBusybox } from './busybox-image.ts';
import { startRegistry } from './registry-server.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    data: { type: 'string' },
    url: { type: 'string' },
    repo: { type: 'string', default: 'library/busybox' },
  },
});

const started = Date.now();
const secs = (): string => `${((Date.now() - started) / 1000).toFixed(2)} s`;
const repo = values.repo ?? 'library/busybox';

if (positionals[0] === 'serve') {
  const reg = await startRegistry({
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.data !== undefined ? { dataDir: values.data } : {}),
  });
  const { digest } = await pushBusybox({ url: reg.url }, repo);
  console.log(
    `registry ${reg.host} ready (pid ${String(reg.pid)}, data ${reg.dataDir}) in ${secs()}`,
  );
  for (const t of BUSYBOX_TAGS) console.log(`  ${reg.host}/${repo}:${t}  ${digest}`);
  const stop = (): void => {
    void reg.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else if (positionals[0] === 'push' && values.url !== undefined) {
  const { digest } = await pushBusybox({ url: values.url.replace(/\/+$/, '') }, repo);
  console.log(`pushed ${repo}:{${BUSYBOX_TAGS.join(',')}} ${digest} in ${secs()}`);
} else {
  console.error(
    'usage: local-registry.ts serve [--port N] [--data DIR] | push --url URL [--repo R]',
  );
  process.exit(2);
}

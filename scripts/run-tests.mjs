#!/usr/bin/env node
// Runs podbay's test tiers with Node's built-in runner (node:test + tsx).
//   unit:        src/**/*.test.ts and scripts/**/*.test.ts — fakes, fake clock, real SQLite,
//                API in-process; no root
//   integration: test/integration/**/*.test.ts — real kubectl, runc, conmon, registry; run one
//                file at a time; each file skips itself (with the reason) when this machine lacks
//                what it needs.
// `npm test` runs both tiers; `--tier unit|integration` picks one; extra args are file filters.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
let tier = 'all';
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tier') tier = args[++i];
  else filters.push(args[i]);
}

function find(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out.sort();
}

const pick = (files) =>
  filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
const runs = [];
if (tier === 'all' || tier === 'unit')
  runs.push({
    files: pick([...find(join(root, 'src')), ...find(join(root, 'scripts'))]),
    concurrency: 2,
  });
if (tier === 'all' || tier === 'integration')
  runs.push({ files: pick(find(join(root, 'test', 'integration'))), concurrency: 1 });

let failed = false;
for (const { files, concurrency } of runs) {
  if (files.length === 0) continue;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      ...files,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);

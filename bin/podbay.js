#!/usr/bin/env node
// The podbay command. Runs the compiled CLI (fast start); falls back to the TypeScript
// sources through tsx when the project has not been built.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let mod;
if (existsSync(compiled) && !process.env.PODBAY_FROM_SOURCE) {
  mod = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
process.exitCode = await mod.main(process.argv.slice(2));

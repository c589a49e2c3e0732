import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.ts';

const root = new URL('../..', import.meta.url).pathname;
const script = new URL('./crash-writer.ts', import.meta.url).pathname;

/** Runs the writer until it has reported `atLeast` writes, then SIGKILLs it; returns the reports. */
async function writeThenKill(file: string, atLeast: number): Promise<[string, string][]> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, file], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  const reported: [string, string][] = [];
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) reported.push(line.split(' ') as [string, string]);
      if (reported.length >= atLeast && child.exitCode === null && !child.killed)
        child.kill('SIGKILL');
    });
  });
  assert.equal(child.signalCode, 'SIGKILL');
  return reported;
}

test(
  'committed writes survive kill -9 and revisions continue above them',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podbay-crash-'));
    try {
      const file = join(dir, 'state.db');
      let lastRv = 0;
      const skipped = new Set<number>();
      for (let round = 0; round < 2; round++) {
        const reported = await writeThenKill(file, 300);
        assert.ok(reported.length >= 300);
        const store = new SqliteStore(file, { changeLogSize: 50 });
        try {
          for (const [name, rv] of reported) {
            assert.equal(store.get('pods', 'default', name)?.metadata.resourceVersion, rv, name);
          }
          const newest = Number(reported.at(-1)![1]);
          assert.ok(newest > lastRv);
          const current = Number(store.currentResourceVersion());
          assert.ok(current >= newest);
          // Every revision up to the current one belongs to exactly one stored object: no torn writes.
          const rvs = store.list('pods').items.map((o) => Number(o.metadata.resourceVersion));
          const expected = Array.from({ length: current }, (_, i) => i + 1).filter(
            (rv) => !skipped.has(rv),
          );
          assert.deepEqual(
            [...rvs].sort((a, b) => a - b),
            expected,
          );
          const next = store.create('pods', {
            metadata: { name: `after-${round}`, namespace: 'default' },
          });
          assert.equal(Number(next.metadata.resourceVersion), current + 1);
          store.delete('pods', 'default', `after-${round}`);
          lastRv = current + 2;
          skipped.add(current + 1).add(current + 2);
        } finally {
          store.close();
        }
        // The deletion's revision is kept too: the next process starts above it.
        if (round === 0) {
          const again = new SqliteStore(file);
          assert.equal(again.currentResourceVersion(), String(lastRv));
          again.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

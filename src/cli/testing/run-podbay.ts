/** Test helper: runs the real `podbay` command from the sources and collects what it printed. */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/podbay.js', import.meta.url));

/** What a `podbay` run printed and its exit code. */
export interface PodbayRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `podbay args…` (stdin from `stdinFile`, else closed); never rejects. */
export function runPodbay(args: string[], stdinFile?: string): Promise<PodbayRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, PODBAY_FROM_SOURCE: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdinFile !== undefined) createReadStream(stdinFile).pipe(child.stdin!);
    else child.stdin?.end();
  });
}

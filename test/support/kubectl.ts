/**
 * Drives the real kubectl against a podbay daemon: a throwaway HOME (so kubectl's discovery
 * cache never hides server changes) and a kubeconfig pointing at the daemon.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** Result of one kubectl run. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Finds a kubectl binary: the dispatcher, or a versioned one (`1.30`). */
export function kubectlPath(version?: string): string | undefined {
  let dispatcher: string;
  try {
    dispatcher = execFileSync('sh', ['-c', 'readlink -f "$(command -v kubectl)"'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
  if (!dispatcher || !existsSync(dispatcher)) return undefined;
  if (!version) return dispatcher;
  const p = join(dirname(dispatcher), `kubectl.${version}`);
  return existsSync(p) ? p : undefined;
}

/** A kubectl bound to one server. */
export class Kubectl {
  readonly home: string;
  readonly kubeconfig: string;

  constructor(
    server: string,
    readonly binary: string,
  ) {
    this.home = mkdtempSync(join(tmpdir(), 'podbay-kubectl-'));
    this.kubeconfig = join(this.home, 'kubeconfig');
    writeFileSync(
      this.kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: podbay, cluster: {server: "' +
          server +
          '", insecure-skip-tls-verify: true}}]',
        'users: [{name: podbay, user: {token: podbay}}]',
        'contexts: [{name: podbay, context: {cluster: podbay, user: podbay, namespace: default}}]',
        'current-context: podbay',
        '',
      ].join('\n'),
    );
  }

  /** Runs kubectl with `args`; never throws for a non-zero exit. */
  run(
    args: string[],
    options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        this.binary,
        ['--kubeconfig', this.kubeconfig, ...args],
        {
          env: { PATH: process.env['PATH'] ?? '', HOME: this.home, ...options.env },
          timeout: options.timeoutMs ?? 60_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  /** Runs kubectl and fails with its output unless it exits 0. */
  async ok(
    args: string[],
    options: { input?: string; env?: Record<string, string> } = {},
  ): Promise<string> {
    const r = await this.run(args, options);
    if (r.code !== 0)
      throw new Error(
        `kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
    return r.stdout;
  }
}

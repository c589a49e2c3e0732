/**
 * Harness for end-to-end tests with the real kubectl: finds the binaries, and runs a tiny API
 * server (/version, legacy discovery, GET pod `x`) whose exec/port-forward upgrades go to the
 * streaming layer with a fake process and a local echo target.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nullLogger } from '../../../lib/log.ts';
import { handleExecUpgrade, handlePortForwardUpgrade } from '../streaming-upgrade.ts';
import { echoTarget } from './echo-server.ts';
import { fakeSession, type FakeSession } from './fake-session.ts';

/** The kubectl 1.33 binary (next to the dispatcher) or the plain `kubectl`, if installed. */
export function findKubectl(minor = 33): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const p = path.join(dir, 'kubectl');
    if (!existsSync(p)) continue;
    const versioned = path.join(path.dirname(realpathSync(p)), `kubectl.1.${minor}`);
    if (existsSync(versioned)) return versioned;
    return minor === 33 ? p : undefined;
  }
  return undefined;
}

const pod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'x', namespace: 'default', uid: 'u1', resourceVersion: '1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Running' },
};

const sub = (name: string, kind: string) => ({
  name,
  singularName: '',
  namespaced: true,
  kind,
  verbs: ['create', 'get'],
});

const routes: Record<string, object> = {
  '/version': { major: '1', minor: '33', gitVersion: 'v1.33.0', platform: 'linux/amd64' },
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get'] },
      sub('pods/exec', 'PodExecOptions'),
      sub('pods/attach', 'PodAttachOptions'),
      sub('pods/portforward', 'PodPortForwardOptions'),
    ],
  },
  '/api/v1/namespaces/default/pods/x': pod,
};

/** Result of one kubectl run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The stub API server plus a kubeconfig pointing at it. */
export class KubectlHarness {
  /** `Upgrade` (and WebSocket subprotocol) of every upgrade request, to check the transport. */
  readonly upgrades: string[] = [];
  /** The last exec/attach session started, and whether it asked for a tty. */
  lastSession: FakeSession | undefined;
  lastTty = false;
  private server: http.Server | undefined;
  private dir = '';
  private closeTarget: () => Promise<void> = () => Promise.resolve();

  /** Starts the server and writes the kubeconfig. */
  async start(): Promise<void> {
    const target = await echoTarget();
    this.closeTarget = target.close;
    const server = http.createServer((req, res) => {
      const body = routes[(req.url ?? '/').split('?')[0] ?? ''];
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { kind: 'Status', status: 'Failure', code: 404 }));
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      const url = req.url ?? '';
      const proto = req.headers['sec-websocket-protocol'] ?? '';
      this.upgrades.push(`${req.headers.upgrade ?? ''} ${proto}`.trim());
      if (url.includes('/portforward')) {
        const opts = { dial: target.dial, podName: 'x', podUid: 'u1', log: nullLogger };
        handlePortForwardUpgrade(req, socket, head, opts);
        return;
      }
      handleExecUpgrade(req, socket, head, {
        isAttach: url.includes('/attach'),
        log: nullLogger,
        start: (opts) => {
          const s = fakeSession({ echo: opts.stdin, exitCode: opts.tty ? 0 : 3 });
          this.lastSession = s;
          this.lastTty = opts.tty;
          if (!opts.stdin) {
            s.stdout.write('hello from exec\n');
            setTimeout(() => s.exit(3), 20);
          }
          return Promise.resolve(s);
        },
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.dir = mkdtempSync(path.join(tmpdir(), 'podbay-kubectl-'));
    writeFileSync(
      path.join(this.dir, 'config'),
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\n` +
        `contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n` +
        `users:\n- name: u\n  user: {}\n`,
    );
  }

  /** Stops everything and removes the temporary directory. */
  async close(): Promise<void> {
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await this.closeTarget();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The environment for a kubectl child process. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const kubeconfig = path.join(this.dir, 'config');
    return { PATH: process.env['PATH'] ?? '', HOME: this.dir, KUBECONFIG: kubeconfig, ...extra };
  }

  /** Runs kubectl to completion (30 s at most), feeding `input` on stdin. */
  run(bin: string, args: string[], extra: Record<string, string> = {}, input?: string) {
    return new Promise<RunResult>((resolve) => {
      const opts = { env: this.env(extra), timeout: 30_000 };
      const child = execFile(bin, args, opts, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  }
}

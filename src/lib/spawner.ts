/**
 * Runs short external programs (mount, ip, unshare, runc delete, …) from a small helper process
 * instead of from the daemon. Node's spawn forks the calling process, and the fork blocks the
 * event loop for a time that grows with the caller's memory (measured here: ~6 ms from a 45 MB
 * process, ~15 ms from 145 MB, ~27 ms from 446 MB), so a daemon holding a hundred pods stalls
 * for every mount of every container it starts. The helper is a bare Node process (no
 * modules loaded, a few MB of heap) that forks instead; the daemon only exchanges one IPC
 * message each way. It starts on first use, exits with the daemon (IPC disconnect), and is
 * started again if it dies; when it cannot run at all, commands are spawned directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** One request to the helper. */
interface Request {
  id: number;
  cmd: string;
  args: string[];
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * For a program that daemonises and reports on fd 3 (conmon's `_OCI_SYNCPIPE`): answer with
   * its first line there as `stdout` (code 0), or its exit code and stderr if it failed first.
   */
  syncPipe?: boolean;
}

/** What the helper answers: the exit code (null: killed) and output, or a spawn error. */
export interface SpawnResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

const helperSource = `
const { spawn } = require('child_process');
const running = new Map();
process.on('message', (m) => {
  if (m.kill !== undefined) { running.get(m.kill)?.kill('SIGKILL'); return; }
  if (m.syncPipe) { startWithSyncPipe(m); return; }
  let c;
  try {
    c = spawn(m.cmd, m.args, {
      stdio: [m.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      cwd: m.cwd, env: m.env,
    });
  } catch (e) { process.send({ id: m.id, code: null, stdout: '', stderr: '', error: String(e.message) }); return; }
  running.set(m.id, c);
  const out = [], err = [];
  c.stdout.on('data', (d) => out.push(d));
  c.stderr.on('data', (d) => err.push(d));
  c.stdin?.on('error', () => {});
  let failed;
  c.on('error', (e) => { failed = String(e.message); });
  c.on('close', (code) => {
    running.delete(m.id);
    process.send({ id: m.id, code: failed ? null : code, stdout: Buffer.concat(out).toString(),
      stderr: Buffer.concat(err).toString(), ...(failed ? { error: failed } : {}) });
  });
  if (m.input !== undefined) c.stdin.end(m.input);
});
// A daemonising program (conmon) that reports on fd 3: answer with its first line there.
function startWithSyncPipe(m) {
  let c;
  try {
    c = spawn(m.cmd, m.args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], cwd: m.cwd, env: m.env, detached: true });
  } catch (e) { process.send({ id: m.id, code: null, stdout: '', stderr: '', error: String(e.message) }); return; }
  let line = '', err = '', sent = false;
  const reply = (r) => { if (sent) return; sent = true; c.stdio[3].destroy(); c.unref(); /* stderr stays open (and drained): a later write must not SIGPIPE it */ process.send({ id: m.id, ...r }); };
  c.stderr.on('data', (d) => { if (!sent) err = (err + d).slice(-2000); });
  c.stderr.on('error', () => {});
  c.stdio[3].on('data', (d) => {
    line += d;
    const nl = line.indexOf('\\n');
    if (nl >= 0) reply({ code: 0, stdout: line.slice(0, nl), stderr: err });
  });
  c.stdio[3].on('error', () => {});
  c.stdio[3].on('end', () => reply({ code: null, stdout: '', stderr: err, error: 'no report on the sync pipe' }));
  c.on('error', (e) => reply({ code: null, stdout: '', stderr: err, error: String(e.message) }));
  c.on('exit', (code) => { if (code !== 0) setTimeout(() => reply({ code, stdout: '', stderr: err }), 100); });
}
process.on('disconnect', () => process.exit(0));
`;

interface Helper {
  child: ChildProcess;
  pending: Map<number, (r: SpawnResult) => void>;
}

let helper: Helper | undefined;
let broken = false;
let nextId = 1;

function setRef(child: ChildProcess, on: boolean): void {
  const channel = child.channel as { ref(): void; unref(): void } | undefined;
  if (on) {
    child.ref();
    channel?.ref();
  } else {
    child.unref();
    channel?.unref();
  }
}

function startHelper(): Helper {
  const child = spawn(process.execPath, ['--max-old-space-size=32', '-e', helperSource], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'json',
    env: {},
  });
  const h: Helper = { child, pending: new Map() };
  child.on('message', (m: SpawnResult & { id: number }) => {
    const done = h.pending.get(m.id);
    h.pending.delete(m.id);
    done?.(m);
    if (h.pending.size === 0) setRef(child, false);
  });
  const gone = (e?: Error): void => {
    if (helper === h) helper = undefined;
    if (e) broken = true; // cannot even start: spawn directly from now on
    for (const done of h.pending.values())
      done({ code: null, stdout: '', stderr: '', error: e?.message ?? 'the spawn helper exited' });
    h.pending.clear();
  };
  child.on('error', gone);
  child.on('exit', () => gone());
  setRef(child, false);
  return h;
}

/** Runs `cmd args…` in a helper process; `signal` kills it. Undefined when no helper can run. */
export function spawnViaHelper(
  req: Omit<Request, 'id'>,
  signal?: AbortSignal,
): Promise<SpawnResult> | undefined {
  if (broken) return undefined;
  helper ??= startHelper();
  const h = helper;
  const id = nextId++;
  return new Promise<SpawnResult>((resolve) => {
    const onAbort = (): void => void h.child.send({ kill: id }, () => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    h.pending.set(id, (r) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(r);
    });
    setRef(h.child, true);
    h.child.send({ id, ...req }, (e) => {
      if (!e) return;
      h.pending.delete(id);
      resolve({ code: null, stdout: '', stderr: '', error: e.message });
    });
  });
}

/** Stops the helper (tests). */
export function stopSpawner(): void {
  helper?.child.kill();
  helper = undefined;
}

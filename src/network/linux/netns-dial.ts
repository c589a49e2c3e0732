/**
 * A TCP connection made from inside a pod's network namespace, as the kubelet makes
 * port-forward connections (to `localhost:<port>` in the pod, over IPv4, so servers bound to
 * 127.0.0.1 are reachable too). Node cannot enter a namespace, so a small helper (this Node
 * binary under `nsenter`) lives in the namespace: it connects on request and hands the connected
 * socket back over its IPC channel (SCM_RIGHTS). The daemon then owns a plain TCP socket in the
 * pod's namespace: no relay process copies the bytes, and a connection costs no spawn. A helper
 * serves one namespace (by inode, so a recreated namespace gets a new one) and exits when idle
 * or when the daemon goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** How long a helper waits for the next connection before it exits. */
const idleMs = 10_000;

/** The helper's program (plain JavaScript, run with `node -e`). */
const helperSource = `
const net = require('node:net');
let idle;
const arm = () => { clearTimeout(idle); idle = setTimeout(() => process.exit(0), ${idleMs}); };
arm();
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  arm();
  const s = net.connect({ host: m.host, port: m.port, family: 4 });
  s.once('connect', () => { s.pause(); process.send({ id: m.id, ok: true }, s); });
  s.once('error', (e) => process.send({ id: m.id, ok: false, code: e.code, message: e.message }));
});
`;

interface Reply {
  id: number;
  ok: boolean;
  code?: string;
  message?: string;
}

interface Helper {
  child: ChildProcess;
  ino: number;
  pending: Map<number, { resolve: (s: Socket) => void; reject: (e: Error) => void }>;
}

const helpers = new Map<string, Helper>();
let nextId = 1;

function startHelper(netnsPath: string, ino: number): Helper {
  const child = spawn('nsenter', [`--net=${netnsPath}`, process.execPath, '-e', helperSource], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const helper: Helper = { child, ino, pending: new Map() };
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-300)));
  child.on('message', (m: Reply, handle?: Socket) => {
    const p = helper.pending.get(m.id);
    if (!p) {
      handle?.destroy();
      return;
    }
    helper.pending.delete(m.id);
    if (m.ok && handle) p.resolve(handle);
    else p.reject(Object.assign(new Error(m.message ?? 'connect failed'), { code: m.code }));
    if (helper.pending.size === 0) unref(child);
  });
  const gone = (e?: Error): void => {
    if (helpers.get(netnsPath) === helper) helpers.delete(netnsPath);
    const reason = e?.message ?? (err.trim() || 'the namespace helper exited');
    for (const p of helper.pending.values()) p.reject(new Error(reason));
    helper.pending.clear();
  };
  child.on('error', gone);
  child.on('exit', () => gone());
  unref(child);
  return helper;
}

/** Lets the daemon exit while a helper idles (the helper exits when its channel closes). */
function unref(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

function helperFor(netnsPath: string): Helper {
  const ino = statSync(netnsPath).ino;
  const known = helpers.get(netnsPath);
  if (known && known.ino === ino && known.child.connected) return known;
  if (known) {
    helpers.delete(netnsPath);
    known.child.kill();
  }
  const helper = startHelper(netnsPath, ino);
  helpers.set(netnsPath, helper);
  return helper;
}

/** Connects to `host:port` inside the network namespace at `netnsPath`. */
export function dialInNetns(netnsPath: string, port: number, host = 'localhost'): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let helper: Helper;
    try {
      helper = helperFor(netnsPath);
    } catch (e: unknown) {
      reject(new Error(`cannot connect to ${host}:${String(port)} in the pod: ${String(e)}`));
      return;
    }
    const id = nextId++;
    const fail = (e: Error & { code?: string }): void =>
      reject(
        e.code === 'ECONNREFUSED'
          ? Object.assign(new Error(`connect ECONNREFUSED ${host}:${String(port)}`), {
              code: 'ECONNREFUSED',
            })
          : new Error(`cannot connect to ${host}:${String(port)} in the pod: ${e.message}`),
      );
    helper.pending.set(id, { resolve, reject: fail });
    helper.child.ref();
    helper.child.channel?.ref();
    helper.child.send({ id, host, port }, (e) => {
      if (!e) return;
      helper.pending.delete(id);
      fail(e);
    });
  });
}

/** Stops every namespace helper (for tests and shutdown; idle helpers also exit by themselves). */
export function stopNetnsHelpers(): void {
  for (const h of helpers.values()) h.child.kill();
  helpers.clear();
}

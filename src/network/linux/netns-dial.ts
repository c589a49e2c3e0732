/**
 * A TCP connection made from inside a pod's network namespace, as the kubelet makes
 * port-forward connections (to `localhost:<port>` in the pod, so servers bound to 127.0.0.1
 * are reachable too). Node cannot enter a namespace, so `nsenter` runs `socat` there and the
 * connection is its stdin/stdout; socat's `-d -d` notice says when it is connected. `-b` lets
 * socat move 128 KiB per read instead of 8 KiB (port-forward throughput).
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/** Connects to `host:port` inside the network namespace at `netnsPath`. */
export function dialInNetns(netnsPath: string, port: number, host = 'localhost'): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'nsenter',
      [
        `--net=${netnsPath}`,
        'socat',
        '-d',
        '-d',
        '-b',
        '131072',
        '-',
        `TCP:${host}:${String(port)}`,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let err = '';
    let settled = false;
    // With -d -d socat says "starting data transfer loop" once connected, or fails and exits.
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!settled && err.includes('starting data transfer loop')) {
        settled = true;
        const conn = Duplex.from({ readable: child.stdout, writable: child.stdin });
        conn.on('close', () => child.kill());
        resolve(conn);
      }
    });
    child.on('error', (e) => {
      settled = true;
      reject(e);
    });
    child.once('exit', () => {
      if (settled) return;
      settled = true;
      const e = /refused/i.test(err)
        ? Object.assign(new Error(`connect ECONNREFUSED ${host}:${String(port)}`), {
            code: 'ECONNREFUSED',
          })
        : new Error(
            `cannot connect to ${host}:${String(port)} in the pod: ${err.trim().slice(-300)}`,
          );
      reject(e);
    });
  });
}

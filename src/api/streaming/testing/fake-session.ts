/**
 * Test doubles: a fake StreamSession that echoes stdin to stdout (or runs a script), and a
 * local HTTP server whose upgrades go to a given handler.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { StreamSession } from '../../../runtime/container-runtime.ts';

/** A controllable fake session. */
export interface FakeSession extends StreamSession {
  stdin: PassThrough;
  stdout: PassThrough;
  stderr: PassThrough;
  resizes: [number, number][];
  killed: boolean;
  /** Ends the outputs and makes `exited` resolve with `code`. */
  exit(code: number): void;
}

/** Creates a fake session; with `echo`, stdin is copied to stdout and its end exits with `exitCode`. */
export function fakeSession(options: { echo?: boolean; exitCode?: number } = {}): FakeSession {
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((r) => {
    resolveExit = r;
  });
  const s: FakeSession = {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    resizes: [],
    killed: false,
    exited,
    resize(cols, rows) {
      s.resizes.push([cols, rows]);
    },
    kill() {
      s.killed = true;
      s.exit(137);
    },
    exit(code) {
      s.stdout.end();
      s.stderr.end();
      resolveExit(code);
    },
  };
  if (options.echo) {
    s.stdin.on('data', (c: Buffer) => s.stdout.write(c));
    s.stdin.on('end', () => s.exit(options.exitCode ?? 0));
  }
  return s;
}

/** Starts a local HTTP server handing every upgrade to `onUpgrade`; returns it and its port. */
export async function upgradeServer(
  onUpgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  server.on('upgrade', onUpgrade);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

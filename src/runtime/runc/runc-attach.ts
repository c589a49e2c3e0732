/**
 * Attach to a conmon-supervised container's main process (kubectl attach, `kubectl run -i`).
 *
 * conmon serves the container's stdio on `<bundle>/attach`, an AF_UNIX SOCK_SEQPACKET socket:
 * every packet it sends is one byte of stream type (2 = stdout, 3 = stderr) and the data; what
 * is written to it goes to the container's stdin (conmon `-i`). Node cannot open SEQPACKET
 * sockets, so `socat` bridges it. socat's raw output would lose the packet boundaries (and with
 * them the stream types), so the output is taken from socat's `-x` transfer dump on stderr
 * instead: a `< … length=N …` header per packet read from the socket, then its bytes in hex.
 * Input goes through socat's stdin unchanged. The window size goes to conmon's `ctl` fifo
 * (`1 <rows> <cols>`), and the exit code comes from conmon's `persist/exit` file.
 */
import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  RuntimeNotFoundError,
  type ExecOptions,
  type StreamSession,
} from '../container-runtime.ts';

/** Where to find the pieces of one conmon container, and the bridge binary. */
export interface ConmonAttachOptions {
  /** The attach socket; default `<bundle>/attach` (paths over 107 bytes cannot be connected). */
  socketPath?: string;
  /** The socat binary. */
  socat?: string;
}

const STDOUT = 2;
const STDERR = 3;
/** Large enough for one conmon packet (8 KiB of data plus the type byte). */
const SOCAT_BUFFER = 65536;
/** socat's wait for the output after stdin ended: as long as the container runs. */
const HALF_CLOSE_TIMEOUT_S = 365 * 24 * 3600;

/**
 * Parses socat's `-x` dump: calls `onPacket` with each complete packet that went from the
 * socket (the right-hand address) to socat's stdio, and `onOther` with any other line.
 */
export class SocatDumpParser {
  private pending = '';
  private packet: { bytes: number[]; length: number; incoming: boolean } | undefined;

  constructor(
    private readonly onPacket: (data: Buffer) => void,
    private readonly onOther: (line: string) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.line(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
  }

  private line(line: string): void {
    const header = /^([<>]) \S+ \S+\s+length=(\d+) from=\d+ to=\d+\s*$/.exec(line);
    if (header) {
      this.packet = { bytes: [], length: Number(header[2]), incoming: header[1] === '<' };
      this.complete();
      return;
    }
    const p = this.packet;
    if (p && /^ [0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(line)) {
      for (const h of line.trim().split(' ')) p.bytes.push(parseInt(h, 16));
      this.complete();
      return;
    }
    if (line.trim() !== '' && line.trim() !== '--') this.onOther(line);
  }

  private complete(): void {
    const p = this.packet;
    if (!p || p.bytes.length < p.length) return;
    this.packet = undefined;
    if (p.incoming) this.onPacket(Buffer.from(p.bytes));
  }
}

async function readExitCode(bundleDir: string): Promise<number | undefined> {
  const text = await readFile(join(bundleDir, 'persist', 'exit'), 'utf8').catch(() => '');
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(n) ? n : undefined;
}

/** Writes one control message to conmon's `ctl` fifo; ignored when conmon is gone. */
async function writeCtl(bundleDir: string, message: string): Promise<void> {
  const fh = await open(
    join(bundleDir, 'ctl'),
    constants.O_WRONLY | constants.O_NONBLOCK | constants.O_APPEND,
  ).catch(() => undefined);
  if (!fh) return;
  await fh.write(message).catch(() => undefined);
  await fh.close();
}

/**
 * Attaches to the main process of the conmon container in `bundleDir` and resolves once
 * connected. `stdin` needs the container created with stdin (conmon `-i`); ending it closes the
 * container's stdin (conmon's rule unless `--leave-stdin-open`). With `tty` all output is
 * stdout; without `options.stderr` the stderr packets are dropped. `kill()` detaches and never
 * signals the container. `exited` resolves with the container's exit code once it ended, or 0
 * after a detach while it still runs. Rejects with {@link RuntimeNotFoundError} when the
 * container has exited or has no attach socket.
 */
export async function conmonAttach(
  bundleDir: string,
  options: ExecOptions,
  opts: ConmonAttachOptions = {},
): Promise<StreamSession> {
  const socket = opts.socketPath ?? join(bundleDir, 'attach');
  if ((await readExitCode(bundleDir)) !== undefined) {
    throw new RuntimeNotFoundError(`container in ${bundleDir} is not running`);
  }
  if (!existsSync(socket)) throw new RuntimeNotFoundError(`no attach socket at ${socket}`);
  const args = ['-d', '-d', '-x', '-b', String(SOCAT_BUFFER), '-t', String(HALF_CLOSE_TIMEOUT_S)];
  if (!options.stdin) args.push('-U');
  args.push('STDIO', `UNIX-CONNECT:${socket},type=5`);
  const child = spawn(opts.socat ?? 'socat', args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'],
  });
  child.stdin?.on('error', () => undefined);
  const stdout = new PassThrough();
  const stderr = options.stderr && !options.tty ? new PassThrough() : undefined;
  const messages: string[] = [];
  let ready!: () => void;
  const connected = new Promise<void>((r) => (ready = r));
  const parser = new SocatDumpParser(
    (data) => {
      const type = data[0];
      const payload = data.subarray(1);
      if (type === STDOUT || (options.tty && type === STDERR)) stdout.write(payload);
      else if (type === STDERR) stderr?.write(payload);
    },
    (line) => {
      if (/starting data transfer loop/.test(line)) ready();
      // conmon closed the connection (the container ended): socat would otherwise go on
      // waiting for our stdin, so stop it; its dump up to here is already parsed.
      else if (/ N socket 2 \(fd \d+\) is at EOF/.test(line)) child.kill('SIGTERM');
      else if (/ [EF] /.test(line)) messages.push(line.replace(/^.*? [EF] /, ''));
    },
  );
  child.stderr?.setEncoding('latin1');
  child.stderr?.on('data', (d: string) => parser.push(d));
  let detached = false;
  const done = new Promise<void>((resolve) => {
    child.once('error', (e) => {
      messages.push(e.message);
      resolve();
    });
    child.once('close', () => resolve());
  });
  await Promise.race([connected, done]);
  if (child.exitCode !== null || child.signalCode !== null || messages.length > 0) {
    child.kill('SIGKILL');
    throw new Error(`attach to ${socket} failed: ${messages.join('; ') || 'socat exited'}`);
  }
  const exited = done.then(async () => {
    stdout.end();
    stderr?.end();
    for (let i = 0; i < 50 && !detached; i++) {
      const code = await readExitCode(bundleDir);
      if (code !== undefined) return code;
      await new Promise((r) => setTimeout(r, 20));
    }
    return (await readExitCode(bundleDir)) ?? 0;
  });
  let resizes = Promise.resolve();
  return {
    ...(options.stdin && child.stdin ? { stdin: child.stdin } : {}),
    stdout,
    ...(stderr ? { stderr } : {}),
    resize: (cols, rows) => {
      if (!options.tty) return;
      const r = Math.max(1, Math.floor(rows));
      const c = Math.max(1, Math.floor(cols));
      // In order: kubectl attach sends size+1 then the size (a forced redraw) back to back.
      resizes = resizes.then(() => writeCtl(bundleDir, `1 ${r} ${c}\n`)).catch(() => undefined);
    },
    exited,
    kill: () => {
      detached = true;
      child.kill('SIGTERM');
    },
  };
}

/**
 * Starting a created container as `runc start` does, without running runc (a Go process costs
 * ~25 ms here): `runc create` leaves the container's init process blocked opening
 * `<runc root>/<id>/exec.fifo` for writing; the reader's open lets it write one byte and exec
 * the container's process; the reader then removes the fifo, which is how runc's state tells
 * "created" from "running". As runc does, a process that died before starting is reported as
 * an error rather than waited for forever.
 */
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { readProcFileSync } from '../../lib/proc-file.ts';

/** The container could not be started through its exec fifo. */
export class ExecFifoError extends Error {
  override name = 'ExecFifoError';
}

/** Whether `pid` is alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readProcFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Releases the init process of a created container (`pid`) so that it execs its process. */
export async function startThroughExecFifo(
  runcRoot: string,
  id: string,
  pid: number,
): Promise<void> {
  const fifo = join(runcRoot, id, 'exec.fifo');
  // A non-blocking open never holds one of libuv's few pool threads; being open for reading
  // lets init's blocked open for writing return, after which it writes one byte and execs.
  const fh = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ExecFifoError(
      code === 'ENOENT' ? 'cannot start an already running container' : String(err),
      { cause: err },
    );
  });
  try {
    const buf = Buffer.alloc(16);
    for (let waited = 0; ;) {
      // EAGAIN: init has its end open and has not written yet; 0 bytes: not opened yet (or
      // closed without writing, which only a dead init does).
      const n = await fh.read(buf, 0, buf.length, null).then(
        (r) => r.bytesRead,
        (err: unknown) => {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
          throw err;
        },
      );
      if (n > 0) break;
      const pause = Math.min(1 + waited / 10, 20);
      await delay(pause);
      waited += pause;
      if (waited >= 100 && !alive(pid))
        throw new ExecFifoError('container process is already dead');
    }
  } finally {
    await fh.close();
  }
  await unlink(fifo);
}

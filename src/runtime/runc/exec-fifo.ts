/**
 * Starting a created container as `runc start` does, without running runc (a Go process costs
 * ~25 ms here): `runc create` leaves the container's init process blocked opening
 * `<runc root>/<id>/exec.fifo` for writing; the reader's open lets it write one byte and exec
 * the container's process; the reader then removes the fifo, which is how runc's state tells
 * "created" from "running". As runc does, a process that died before starting is reported as
 * an error rather than waited for forever.
 */
import { constants } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The container could not be started through its exec fifo. */
export class ExecFifoError extends Error {
  override name = 'ExecFifoError';
}

/** Whether `pid` is alive and not a zombie. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
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
  // Opening for reading blocks (on a pool thread) until init opens its end for writing.
  const opening = open(fifo, constants.O_RDONLY);
  let gone = false;
  const watchdog = setInterval(() => {
    void alive(pid).then(async (yes) => {
      if (yes || gone) return;
      gone = true;
      // Unblock our own open: a writer that closes at once makes the read see no data.
      const w = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
      await w?.close();
    });
  }, 100);
  try {
    const fh = await opening;
    let data: Buffer;
    try {
      data = await fh.readFile();
    } finally {
      await fh.close();
    }
    if (data.length === 0) throw new ExecFifoError('container process is already dead');
    await unlink(fifo);
  } catch (err: unknown) {
    if (err instanceof ExecFifoError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ExecFifoError(
      code === 'ENOENT' ? 'cannot start an already running container' : String(err),
      { cause: err },
    );
  } finally {
    clearInterval(watchdog);
  }
}

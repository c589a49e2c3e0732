/**
 * One daemon per data directory: a PID file holding the daemon's pid and URL. A stale file
 * (its process is gone) is taken over; a live one is an error naming the running daemon.
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** What a running daemon records about itself. */
export interface DaemonRecord {
  pid: number;
  url: string;
  dataDir: string;
  startedAt: string;
}

/** The PID file of a data directory. */
export function pidFilePath(dataDir: string): string {
  return join(dataDir, 'podbay.pid');
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the record of the daemon running on `dataDir`, if one is alive. */
export function readDaemonRecord(dataDir: string): DaemonRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(pidFilePath(dataDir), 'utf8')) as DaemonRecord;
    return isAlive(rec.pid) ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Claims the data directory for this process; throws if another daemon holds it. */
export function claimDataDir(dataDir: string): void {
  const path = pidFilePath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(
        fd,
        JSON.stringify({ pid: process.pid, url: '', dataDir, startedAt: new Date().toISOString() }),
      );
      closeSync(fd);
      return;
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const running = readDaemonRecord(dataDir);
      if (running && running.pid !== process.pid) {
        throw new Error(
          `Cannot start podbay: another daemon (pid ${running.pid}) is using data directory "${dataDir}"`,
          { cause: err },
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Cannot claim data directory "${dataDir}"`);
}

/** Records the URL once listening. */
export function writeDaemonRecord(record: DaemonRecord): void {
  const fd = openSync(pidFilePath(record.dataDir), 'w', 0o644);
  writeSync(fd, JSON.stringify(record));
  closeSync(fd);
}

/** Releases the data directory if this process holds it. */
export function releaseDataDir(dataDir: string): void {
  try {
    const rec = JSON.parse(readFileSync(pidFilePath(dataDir), 'utf8')) as DaemonRecord;
    if (rec.pid === process.pid) rmSync(pidFilePath(dataDir), { force: true });
  } catch {
    // nothing to release
  }
}

/** The file by which `podbay down --purge` asks the daemon to purge as it stops. */
function purgeRequestPath(dataDir: string): string {
  return join(dataDir, 'purge-on-stop');
}

/** Asks the daemon of `dataDir` to remove every container, volume and network when it stops. */
export function requestPurge(dataDir: string): void {
  writeFileSync(purgeRequestPath(dataDir), `${String(process.pid)}\n`);
}

/** Whether a purge was requested (the request is consumed). */
export function takePurgeRequest(dataDir: string): boolean {
  try {
    rmSync(purgeRequestPath(dataDir));
    return true;
  } catch {
    return false;
  }
}

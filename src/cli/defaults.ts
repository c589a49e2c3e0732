/** Defaults shared by the CLI commands. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `/var/lib/podbay` as root, `~/.local/share/podbay` otherwise. */
export function defaultDataDir(): string {
  if (process.env['PODBAY_DATA_DIR']) return process.env['PODBAY_DATA_DIR'];
  return process.getuid?.() === 0
    ? '/var/lib/podbay'
    : join(homedir(), '.local', 'share', 'podbay');
}

/** kube-apiserver's usual port. */
export const defaultPort = 6443;

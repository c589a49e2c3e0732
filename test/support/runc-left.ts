/** Leak checks of the integration tests: what runc still holds under a state root. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The ids of the containers runc knows under `root`, one per line; none when the root is gone
 * (`runc list` would create a missing root, leaving an empty directory behind in /run).
 */
export function runcContainersLeft(root: string): string {
  if (!existsSync(root)) return '';
  return execFileSync('runc', ['--root', root, 'list', '-q']).toString().trim();
}

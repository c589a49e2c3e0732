/**
 * The cluster CA: a self-signed certificate made once per data directory with openssl, so
 * pods find a real `ca.crt` in their service-account volume. (TLS serving comes later.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';

/** Returns the CA certificate PEM, creating it on first use; '' if openssl is unavailable. */
export async function ensureClusterCA(dataDir: string, log: Logger): Promise<string> {
  const dir = join(dataDir, 'pki');
  const crt = join(dir, 'ca.crt');
  if (!existsSync(crt)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      await promisify(execFile)('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'ca.key'),
        '-out',
        crt,
        '-days',
        '3650',
        '-subj',
        '/CN=podbay-ca',
      ]);
    } catch (err: unknown) {
      log.warn('Could not create the cluster CA (is openssl installed?)', { err });
      return '';
    }
  }
  return readFile(crt, 'utf8');
}

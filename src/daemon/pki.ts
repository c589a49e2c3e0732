/**
 * The cluster CA: a self-signed certificate made once per data directory with openssl, so
 * pods find a real `ca.crt` in their service-account volume. (TLS serving comes later.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';

/** Returns the CA certificate PEM, creating it on first use; '' if openssl is unavailable. */
export function ensureClusterCA(dataDir: string, log: Logger): string {
  const dir = join(dataDir, 'pki');
  const crt = join(dir, 'ca.crt');
  if (!existsSync(crt)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      execFileSync(
        'openssl',
        [
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
        ],
        { stdio: 'ignore' },
      );
    } catch (err: unknown) {
      log.warn('Could not create the cluster CA (is openssl installed?)', { err });
      return '';
    }
  }
  return readFileSync(crt, 'utf8');
}

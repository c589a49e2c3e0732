// A tiny Docker-token-spec issuer for testing Bearer auth against a real docker-registry offline:
// GET /token?service=…&scope=repository:NAME:ACTIONS answers an RS256 JWT whose x5c certificate
// the registry trusts (`auth.token.rootcertbundle`). Policy: anonymous callers may pull
// repositories under `publicPrefix`; the configured user may pull and push everything; wrong
// credentials get 401.
import { spawnSync } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TokenServerOptions {
  issuer?: string;
  service?: string;
  user: { username: string; password: string };
  publicPrefix?: string;
}

export interface RunningTokenServer {
  realm: string;
  issuer: string;
  service: string;
  /** PEM certificate for the registry's `rootcertbundle`. */
  certFile: string;
  /** Token requests seen (`anonymous` or the user name, and the scope). */
  requests: Array<{ who: string; scope: string }>;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Starts the issuer on 127.0.0.1 with a fresh self-signed RSA key (needs `openssl`). */
export async function startTokenServer(opts: TokenServerOptions): Promise<RunningTokenServer> {
  const issuer = opts.issuer ?? 'podbay-test-issuer';
  const service = opts.service ?? 'podbay-test-registry';
  const publicPrefix = opts.publicPrefix ?? 'library/';
  const work = await mkdtemp(join(tmpdir(), 'podbay-token-'));
  const keyFile = join(work, 'token.key');
  const certFile = join(work, 'token.crt');
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '30',
    '-subj',
    `/CN=${issuer}`,
  ]);
  if (r.status !== 0) {
    await rm(work, { recursive: true, force: true });
    throw new Error(`openssl failed: ${r.stderr.toString()}`);
  }
  const key = readFileSync(keyFile);
  const der = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
  const requests: RunningTokenServer['requests'] = [];

  const sign = (sub: string, access: Array<{ name: string; actions: string[] }>): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der] }));
    const claims = b64url(
      JSON.stringify({
        iss: issuer,
        sub,
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access: access.map((a) => ({ type: 'repository', ...a })),
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
    return `${header}.${claims}.${b64url(signature)}`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let who = 'anonymous';
    const authz = req.headers.authorization ?? '';
    if (authz.startsWith('Basic ')) {
      const [u, ...p] = Buffer.from(authz.slice(6), 'base64').toString().split(':');
      if (u !== opts.user.username || p.join(':') !== opts.user.password) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"bad creds"}');
        return;
      }
      who = u;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      requests.push({ who, scope });
      const [type, name = '', actions = ''] = scope.split(':');
      if (type !== 'repository') return [];
      const wanted = actions.split(',');
      const allowed = who !== 'anonymous' ? wanted : name.startsWith(publicPrefix) ? ['pull'] : [];
      return [{ name, actions: wanted.filter((a) => allowed.includes(a)) }];
    });
    const token = sign(who, access);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${String(port)}/token`,
    issuer,
    service,
    certFile,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(work, { recursive: true, force: true });
    },
  };
}

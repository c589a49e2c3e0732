// What goes into the images built from Debian packages: package roots, image configs, and the
// files maintainer scripts (or the official images' Dockerfiles) would have made.
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './deb-rootfs.ts';

/** Bump when a recipe's output changes without a package version changing. */
export const RECIPE_VERSION = 5;

export type DebianImageName = 'debian' | 'nginx' | 'alpine';

export interface ImageRecipe {
  name: DebianImageName;
  repo: string;
  tags: string[];
  /** Packages whose closure makes the rootfs. */
  roots: string[];
  /** Unpack into a merged-/usr tree (Debian layout) or take busybox alone (alpine layout). */
  layout: 'debian' | 'busybox';
  /** The image config's `config` object. */
  config: Record<string, unknown>;
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A small, runnable Debian userland (no apt, no dpkg database). */
export const DEBIAN_BASE = [
  'base-files',
  'bash',
  'dash',
  'coreutils',
  'libc-bin',
  'debianutils',
  'grep',
  'sed',
  'findutils',
  'gzip',
  'tar',
  'hostname',
  'mawk',
  'ncurses-base',
];

export const RECIPES: Record<DebianImageName, ImageRecipe> = {
  debian: {
    name: 'debian',
    repo: 'library/debian',
    tags: ['bookworm', 'latest'],
    roots: DEBIAN_BASE,
    layout: 'debian',
    config: { Env: [PATH_ENV], Cmd: ['bash'] },
  },
  nginx: {
    name: 'nginx',
    repo: 'library/nginx',
    tags: ['1.27', 'latest'],
    roots: [...DEBIAN_BASE, 'nginx'],
    layout: 'debian',
    config: {
      Env: [PATH_ENV],
      Cmd: ['nginx', '-g', 'daemon off;'],
      ExposedPorts: { '80/tcp': {} },
      StopSignal: 'SIGQUIT',
    },
  },
  alpine: {
    name: 'alpine',
    repo: 'library/alpine',
    tags: ['latest', '3.19'],
    roots: ['busybox-static'],
    layout: 'busybox',
    config: { Env: [PATH_ENV], Cmd: ['/bin/sh'] },
  },
};

const DEBIAN_PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
  'sys:x:3:3:sys:/dev:/usr/sbin/nologin',
  'sync:x:4:65534:sync:/bin:/bin/sync',
  'mail:x:8:8:mail:/var/mail:/usr/sbin/nologin',
  'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
];
const DEBIAN_GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'bin:x:2:',
  'sys:x:3:',
  'adm:x:4:',
  'tty:x:5:',
  'disk:x:6:',
  'mail:x:8:',
  'www-data:x:33:',
  'staff:x:50:',
  'users:x:100:',
  'nogroup:x:65534:',
];
const NGINX_USER = 'nginx:x:101:101:nginx user:/nonexistent:/usr/sbin/nologin';
const NGINX_GROUP = 'nginx:x:101:';

const NGINX_CONF = `user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /run/nginx.pid;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log /var/log/nginx/access.log main;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
`;

const NGINX_SITE = `server {
    listen 80;
    listen [::]:80;
    server_name localhost;

    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }

    location /nginx_status {
        stub_status;
    }

    error_page 500 502 503 504 /50x.html;
    location = /50x.html {
        root /usr/share/nginx/html;
    }
}
`;

const WELCOME = `<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and working.</p>
<p><em>Thank you for using nginx.</em> (podbay offline image, built from Debian packages)</p>
</body>
</html>
`;

const ALPINE_OS_RELEASE = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.0
PRETTY_NAME="Alpine Linux v3.19 (podbay stand-in: busybox from Debian's busybox-static)"
HOME_URL="https://alpinelinux.org/"
VARIANT_ID=podbay-stand-in
`;

/** Every generated text, so the cache key changes when one does. */
export const GENERATED_TEXT = [
  DEBIAN_PASSWD,
  DEBIAN_GROUP,
  NGINX_USER,
  NGINX_CONF,
  NGINX_SITE,
  WELCOME,
  ALPINE_OS_RELEASE,
].join('\n');

async function put(root: string, path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
  await chmod(join(root, path), mode);
}

async function dirs(root: string, list: [string, number][]): Promise<void> {
  for (const [d, mode] of list) {
    await mkdir(join(root, d), { recursive: true });
    await chmod(join(root, d), mode);
  }
}

/** Mount points, tmp dirs and name-service files every image has. */
async function commonFiles(root: string, passwd: string[], group: string[]): Promise<void> {
  await chmod(root, 0o755);
  await dirs(root, [
    ['proc', 0o555],
    ['sys', 0o555],
    ['dev', 0o755],
    ['run', 0o755],
    ['tmp', 0o1777],
    ['var/tmp', 0o1777],
    ['root', 0o700],
    ['home', 0o755],
  ]);
  await put(root, 'etc/passwd', `${passwd.join('\n')}\n`);
  await put(root, 'etc/group', `${group.join('\n')}\n`);
  const shadow = passwd.map((l) => `${l.split(':')[0] ?? ''}:*:19000:0:99999:7:::`);
  await put(root, 'etc/shadow', `${shadow.join('\n')}\n`, 0o640);
  await put(root, 'etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  await put(root, 'etc/hostname', 'localhost\n');
  await put(root, 'etc/resolv.conf', '');
  await put(
    root,
    'etc/nsswitch.conf',
    'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n',
  );
}

/** Finishes a Debian-layout rootfs (packages already unpacked) for `recipe`. */
export async function finishDebianRootfs(root: string, recipe: ImageRecipe): Promise<void> {
  const nginx = recipe.name === 'nginx';
  await commonFiles(
    root,
    nginx ? [...DEBIAN_PASSWD, NGINX_USER] : DEBIAN_PASSWD,
    nginx ? [...DEBIAN_GROUP, NGINX_GROUP] : DEBIAN_GROUP,
  );
  // update-alternatives would have made these.
  await symlink('mawk', join(root, 'usr/bin/awk')).catch(() => undefined);
  await symlink('/run/lock', join(root, 'var/lock')).catch(() => undefined);
  await mkdir(join(root, 'run/lock'), { recursive: true });
  await chmod(join(root, 'run/lock'), 0o1777);
  await run('ldconfig', ['-r', root]);
  await rm(join(root, 'var/cache/ldconfig/aux-cache'), { force: true }); // inode numbers: not reproducible
  // What the slim images' dpkg path-excludes drop: translations, manuals, docs (licences kept).
  for (const d of ['usr/share/locale', 'usr/share/man', 'usr/share/info', 'usr/share/lintian'])
    await rm(join(root, d), { recursive: true, force: true });
  await run('find', [
    join(root, 'usr/share/doc'),
    '-type',
    'f',
    '!',
    '-name',
    'copyright',
    '-delete',
  ]);
  if (!nginx) return;
  await put(root, 'etc/nginx/nginx.conf', NGINX_CONF);
  await put(root, 'etc/nginx/conf.d/default.conf', NGINX_SITE);
  await put(root, 'usr/share/nginx/html/index.html', WELCOME);
  await put(root, 'usr/share/nginx/html/50x.html', '<h1>An error occurred.</h1>\n');
  await dirs(root, [
    ['var/log/nginx', 0o755],
    ['var/lib/nginx', 0o755],
    ['var/cache/nginx', 0o755],
  ]);
  for (const f of ['access.log', 'error.log']) await put(root, `var/log/nginx/${f}`, '', 0o640);
  for (const f of ['access.log', 'error.log']) await chown(join(root, 'var/log/nginx', f), 101, 4);
}

function busyboxApplets(busybox: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(busybox, ['--list-full'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.split('\n').filter((l) => l !== '')) : reject(new Error('busybox')),
    );
  });
}

/**
 * Makes an alpine-like rootfs in `root` from busybox-static unpacked in `staging`: the binary at
 * /bin/busybox and one relative symlink per applet.
 */
export async function finishBusyboxRootfs(staging: string, root: string): Promise<void> {
  await dirs(root, [
    ['bin', 0o755],
    ['sbin', 0o755],
    ['usr/bin', 0o755],
    ['usr/sbin', 0o755],
    ['usr/local/bin', 0o755],
    ['etc', 0o755],
    ['var/log', 0o755],
    ['var/www', 0o755],
    ['srv', 0o755],
    ['mnt', 0o755],
    ['opt', 0o755],
    ['lib', 0o755],
  ]);
  const src = join(staging, 'bin/busybox');
  await run('cp', ['-p', src, join(root, 'bin/busybox')]);
  for (const full of await busyboxApplets(src)) {
    if (full === 'bin/busybox' || full === 'linuxrc') continue;
    const depth = full.split('/').length - 1;
    const target =
      depth === 1 && full.startsWith('bin/') ? 'busybox' : `${'../'.repeat(depth)}bin/busybox`;
    await symlink(target, join(root, full)).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    });
  }
  await commonFiles(
    root,
    [
      'root:x:0:0:root:/root:/bin/sh',
      'bin:x:1:1:bin:/bin:/sbin/nologin',
      'daemon:x:2:2:daemon:/sbin:/sbin/nologin',
      'www-data:x:82:82:Linux User,,,:/home/www-data:/sbin/nologin',
      'nobody:x:65534:65534:nobody:/:/sbin/nologin',
    ],
    [
      'root:x:0:root',
      'bin:x:1:root,bin,daemon',
      'daemon:x:2:root,bin,daemon',
      'www-data:x:82:',
      'users:x:100:',
      'nobody:x:65534:',
    ],
  );
  await put(root, 'etc/os-release', ALPINE_OS_RELEASE);
  await put(root, 'etc/alpine-release', '3.19.0\n');
  await put(root, 'etc/shells', '/bin/sh\n/bin/ash\n');
  await rm(staging, { recursive: true, force: true });
}

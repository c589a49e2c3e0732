import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { debFileName, parseAptShow } from './deb-rootfs.ts';

const SHOW = `Package: nginx-common
Version: 1.22.1-9+deb12u12
Architecture: all
Depends: debconf (>= 0.5) | debconf-2.0
Description: small, powerful, scalable web/proxy server - common files
 continuation line: not a field
SHA256: abc123

Package: mawk
Version: 1.3.4.20200120-3.1
Architecture: amd64
Pre-Depends: libc6 (>= 2.34)
Provides: awk
SHA256: def456

Package: busybox-static
Version: 1:1.35.0-4+deb12u1+b1
Architecture: amd64
Depends: libfoo:any, bar (<< 2) | baz
Provides: busybox (= 1:1.35.0-4+deb12u1+b1)

Package: mawk
Version: 1.0-old
`;

describe('parseAptShow', () => {
  const pkgs = parseAptShow(SHOW);

  it('reads names, versions, architectures and hashes, first record per name', () => {
    assert.deepEqual([...pkgs.keys()], ['nginx-common', 'mawk', 'busybox-static']);
    assert.equal(pkgs.get('mawk')?.version, '1.3.4.20200120-3.1');
    assert.equal(pkgs.get('nginx-common')?.arch, 'all');
    assert.equal(pkgs.get('nginx-common')?.sha256, 'abc123');
  });

  it('turns Pre-Depends and Depends into alternatives groups without versions or :any', () => {
    assert.deepEqual(pkgs.get('nginx-common')?.depends, [['debconf', 'debconf-2.0']]);
    assert.deepEqual(pkgs.get('mawk')?.depends, [['libc6']]);
    assert.deepEqual(pkgs.get('busybox-static')?.depends, [['libfoo'], ['bar', 'baz']]);
  });

  it('lists provided virtual names', () => {
    assert.deepEqual(pkgs.get('mawk')?.provides, ['awk']);
    assert.deepEqual(pkgs.get('busybox-static')?.provides, ['busybox']);
  });

  it('names .deb files as apt-get download does (epoch colon escaped)', () => {
    const p = pkgs.get('busybox-static');
    assert.ok(p !== undefined);
    assert.equal(debFileName(p), 'busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb');
  });
});

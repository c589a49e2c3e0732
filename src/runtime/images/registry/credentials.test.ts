import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  credentialsFor,
  credentialsFromConfig,
  normalizeRegistryKey,
  parseDockerConfig,
} from './credentials.ts';
import { endpointsFor, isLocalHost } from './endpoints.ts';
import { parseWwwAuthenticate } from './www-authenticate.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('docker config credentials', () => {
  it('normalises keys', () => {
    assert.equal(normalizeRegistryKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeRegistryKey('registry-1.docker.io'), 'docker.io');
    assert.equal(normalizeRegistryKey('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  });

  it('reads .dockerconfigjson and legacy .dockercfg secrets for one host', () => {
    const json = JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:pw') },
        '127.0.0.1:5000': { username: 'alice', password: 'secret' },
        '*.corp.example': { auth: b64('c:p:with:colons') },
      },
    });
    const cfg = JSON.stringify({ '127.0.0.1:5000': { auth: b64('bob:pw2') } });
    const secrets = [
      { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(json) } },
      { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(cfg) } },
      { type: 'Opaque', data: { x: b64('{}') } },
    ];
    assert.deepEqual(credentialsFor('127.0.0.1:5000', secrets), [
      { username: 'alice', password: 'secret' },
      { username: 'bob', password: 'pw2' },
    ]);
    assert.deepEqual(credentialsFor('docker.io', secrets), [{ username: 'hub', password: 'pw' }]);
    assert.deepEqual(credentialsFor('r.corp.example', secrets), [
      { username: 'c', password: 'p:with:colons' },
    ]);
    assert.deepEqual(credentialsFor('a.b.corp.example', secrets), []);
    assert.deepEqual(credentialsFor('quay.io', secrets), []);
  });

  it('reads a node-level config.json', () => {
    const json = JSON.stringify({ auths: { 'reg.example:5000': { auth: b64('n:p') } } });
    assert.deepEqual(credentialsFromConfig('reg.example:5000', json), [
      { username: 'n', password: 'p' },
    ]);
    assert.deepEqual(credentialsFromConfig('reg.example', json), []);
  });

  it('ignores junk', () => {
    assert.deepEqual(parseDockerConfig('not json'), []);
    assert.deepEqual(parseDockerConfig('{"auths":{"x":{"auth":""}}}'), []);
  });
});

describe('WWW-Authenticate', () => {
  it('parses Bearer with quoted commas and several challenges', () => {
    const c = parseWwwAuthenticate(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push", Basic realm="x"',
    );
    assert.deepEqual(c, [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:pull,push',
        },
      },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
    ]);
    assert.equal(
      parseWwwAuthenticate('Bearer realm="r",error="insufficient_scope"')[0]?.params['error'],
      'insufficient_scope',
    );
  });
});

describe('endpoints', () => {
  it('uses plain HTTP for loopback hosts and insecure registries, mirrors first', () => {
    assert.ok(isLocalHost('127.0.0.1:5000'));
    assert.ok(isLocalHost('localhost'));
    assert.ok(isLocalHost('[::1]:5000'));
    assert.ok(!isLocalHost('10.0.0.1:5000'));
    assert.deepEqual(
      endpointsFor('docker.io', {
        mirrors: { 'docker.io': { endpoint: ['127.0.0.1:5000'] } },
      }).map((e) => e.base),
      ['http://127.0.0.1:5000', 'https://registry-1.docker.io'],
    );
    assert.deepEqual(
      endpointsFor('docker.io', { mirrors: { 'docker.io': ['http://m.local/v2/'] } }, true).map(
        (e) => e.base,
      ),
      ['http://m.local'],
    );
    const [ep] = endpointsFor('reg.example:5000', {
      configs: { 'reg.example:5000': { insecure: true, auth: { username: 'u', password: 'p' } } },
    });
    assert.equal(ep?.base, 'http://reg.example:5000');
    assert.equal(ep.config.auth?.username, 'u');
  });
});

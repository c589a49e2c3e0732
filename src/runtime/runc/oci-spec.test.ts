import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOciSpec, effectiveCapabilities } from './oci-spec.ts';
import type { SpecInput } from './oci-spec.ts';

const base: SpecInput = {
  args: ['sh', '-c', 'exit 0'],
  env: ['A=1'],
  cwd: '/',
  uid: 0,
  gid: 0,
  hostname: 'web-0',
  rootfs: '/b/rootfs',
  cgroupsPath: '/podbay/podu1/c1',
  netnsPath: '/run/netns/podbay-x',
  utsPath: '/p/ns/uts',
  ipcPath: '/p/ns/ipc',
  mounts: [
    { containerPath: '/shared', hostPath: '/p/v/shared' },
    { containerPath: '/cfg', hostPath: '/p/cfg', readonly: true },
  ],
  memoryLimitBytes: 33554432,
  oomScoreAdj: -999,
  hostLimits: { nofileHard: 20000, oomScoreAdj: 0 },
};

test('buildOciSpec joins pod namespaces by path, keeps pid and mount private, clamps limits', () => {
  const s = buildOciSpec(base) as {
    process: Record<string, unknown>;
    linux: Record<string, unknown>;
    mounts: { destination: string; options?: string[] }[];
  };
  assert.deepEqual(s.linux['namespaces'], [
    { type: 'pid' },
    { type: 'mount' },
    { type: 'network', path: '/run/netns/podbay-x' },
    { type: 'uts', path: '/p/ns/uts' },
    { type: 'ipc', path: '/p/ns/ipc' },
  ]);
  assert.equal(s.process['oomScoreAdj'], 0);
  assert.deepEqual(s.process['rlimits'], [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  assert.equal(s.linux['cgroupsPath'], '/podbay/podu1/c1');
  assert.deepEqual((s.linux['resources'] as Record<string, unknown>)['memory'], {
    limit: 33554432,
    swap: 33554432,
  });
  assert.deepEqual(s.mounts.find((m) => m.destination === '/cfg')?.options, [
    'rbind',
    'ro',
    'nosuid',
    'nodev',
  ]);
  assert.ok(Array.isArray(s.linux['maskedPaths']));
});

test('effectiveCapabilities applies add and drop, including ALL', () => {
  const c = effectiveCapabilities({ capAdd: ['NET_ADMIN'], capDrop: ['KILL'] });
  assert.ok(c.includes('CAP_NET_ADMIN'));
  assert.ok(!c.includes('CAP_KILL'));
  assert.deepEqual(effectiveCapabilities({ capDrop: ['ALL'], capAdd: ['CHOWN'] }), ['CAP_CHOWN']);
});

test('buildOciSpec: shared or host PID namespace, host IPC, Unmasked /proc, sysctls, terminal', () => {
  type Spec = { process: Record<string, unknown>; linux: Record<string, unknown> };
  const shared = buildOciSpec({ ...base, pidnsPath: '/proc/42/ns/pid' }) as Spec;
  assert.deepEqual((shared.linux['namespaces'] as unknown[])[0], {
    type: 'pid',
    path: '/proc/42/ns/pid',
  });
  const { ipcPath: _ipc, ...noIpc } = base;
  const host = buildOciSpec({ ...noIpc, hostPID: true }) as Spec;
  const types = (host.linux['namespaces'] as { type: string }[]).map((n) => n.type);
  assert.deepEqual(types, ['mount', 'network', 'uts']);
  assert.ok(Array.isArray((buildOciSpec(base) as Spec).linux['maskedPaths']));
  const unmasked = buildOciSpec({ ...base, procMount: 'Unmasked' }) as Spec;
  assert.equal(unmasked.linux['maskedPaths'], undefined);
  assert.equal(unmasked.linux['readonlyPaths'], undefined);
  const tuned = buildOciSpec({
    ...base,
    sysctl: { 'net.ipv4.ip_unprivileged_port_start': '80' },
    terminal: true,
    additionalGids: [2000],
    noNewPrivileges: false,
  }) as Spec;
  assert.deepEqual(tuned.linux['sysctl'], { 'net.ipv4.ip_unprivileged_port_start': '80' });
  assert.equal(tuned.process['terminal'], true);
  assert.deepEqual(tuned.process['user'], { uid: 0, gid: 0, additionalGids: [2000] });
  assert.equal(tuned.process['noNewPrivileges'], false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Pod } from '../k8s/types/pod.ts';
import { resources } from '../client/kube-client.ts';
import { serviceEnv } from './service-env.ts';
import { logTail, terminationLogPath } from './termination-message.ts';
import { startSim } from './testing/scenario-sim.ts';

const svc = (ns: string, name: string, clusterIP: string, ports: object[]) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { clusterIP, ports },
});

test('serviceEnv(): v1.33 variable names, headless skipped, enableServiceLinks false keeps only kubernetes', () => {
  const pod = { metadata: { namespace: 'app' }, spec: { containers: [] } } as unknown as Pod;
  const services = [
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
    svc('app', 'my-web', '10.96.0.20', [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]),
    svc('app', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.96.0.30', [{ port: 80 }]),
  ];
  const env = Object.fromEntries(serviceEnv(pod, services as never));
  assert.deepEqual(env, {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    MY_WEB_SERVICE_HOST: '10.96.0.20',
    MY_WEB_SERVICE_PORT: '80',
    MY_WEB_SERVICE_PORT_HTTP: '80',
    MY_WEB_SERVICE_PORT_DNS: '53',
    MY_WEB_PORT: 'tcp://10.96.0.20:80',
    MY_WEB_PORT_80_TCP: 'tcp://10.96.0.20:80',
    MY_WEB_PORT_80_TCP_PROTO: 'tcp',
    MY_WEB_PORT_80_TCP_PORT: '80',
    MY_WEB_PORT_80_TCP_ADDR: '10.96.0.20',
    MY_WEB_PORT_53_UDP: 'udp://10.96.0.20:53',
    MY_WEB_PORT_53_UDP_PROTO: 'udp',
    MY_WEB_PORT_53_UDP_PORT: '53',
    MY_WEB_PORT_53_UDP_ADDR: '10.96.0.20',
  });
  const off = { ...pod, spec: { containers: [], enableServiceLinks: false } } as unknown as Pod;
  assert.deepEqual(
    [...serviceEnv(off, services as never).keys()].filter((k) => !k.startsWith('KUBERNETES')),
    [],
  );
});

test('logTail(): the text of the last lines of a k8s-file log, partial lines joined', () => {
  const log = [
    '2026-01-01T00:00:00.000000000Z stdout F one',
    '2026-01-01T00:00:00.000000000Z stderr P tw',
    '2026-01-01T00:00:00.000000000Z stderr F o',
    '2026-01-01T00:00:00.000000000Z stdout F three',
    '',
  ].join('\n');
  assert.equal(logTail(log, 80, 2048), 'one\ntwo\nthree\n');
  assert.equal(logTail(log, 2, 2048), 'two\nthree\n');
  assert.equal(logTail(log, 80, 6), 'three\n');
});

test('container env: service links, resourceFieldRef, pod IP, HOSTNAME; $(VAR) sees service variables', async () => {
  const sim = await startSim();
  try {
    await sim.node.client.create(resources.services, 'default', {
      ...svc('default', 'db', '10.96.0.9', [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
    } as never);
    await sim.create({
      metadata: { name: 'envy' },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            command: ['echo', '$(DB_SERVICE_HOST)'],
            resources: { limits: { cpu: '500m', memory: '64Mi' } },
            env: [
              {
                name: 'CPU',
                valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } },
              },
              {
                name: 'MEM',
                valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
              },
              { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'DB_SERVICE_PORT', value: 'mine' },
            ],
          },
        ],
      },
    });
    await sim.until('running', () => sim.node.runtime.byName('app')[0]?.state === 'running', 5);
    const config = sim.node.runtime.configOf(sim.node.runtime.byName('app')[0]!.id);
    const env = new Map(
      config.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    assert.equal(config.env[0], 'HOSTNAME=envy');
    assert.equal(env.get('CPU'), '500');
    assert.equal(env.get('MEM'), '64');
    assert.match(env.get('IP') ?? '', /^10\.244\.\d+\.\d+$/);
    assert.equal(env.get('DB_SERVICE_HOST'), '10.96.0.9');
    assert.equal(env.get('DB_SERVICE_PORT'), 'mine');
    assert.equal(env.get('DB_PORT_5432_TCP_ADDR'), '10.96.0.9');
    assert.deepEqual(config.args, ['echo', '10.96.0.9']);
  } finally {
    await sim.stop();
  }
});

test('termination messages: the file mounted at terminationMessagePath, else the log tail (FallbackToLogsOnError)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'podbay-tm-'));
  const sim = await startSim({
    kubelet: { podsDir: join(dir, 'pods'), podLogsDir: join(dir, 'logs') },
  });
  try {
    const pod = await sim.create({
      metadata: { name: 'tm' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          { name: 'file', image: 'busybox:1.36', terminationMessagePath: '/tmp/why' },
          {
            name: 'logs',
            image: 'busybox:1.36',
            terminationMessagePolicy: 'FallbackToLogsOnError',
          },
        ],
      },
    });
    await sim.until('running', () => sim.node.runtime.byName('logs')[0]?.state === 'running', 5);
    const uid = pod.metadata.uid ?? '';
    const [file, logs] = ['file', 'logs'].map((n) => sim.node.runtime.byName(n)[0]!);
    const mount = sim.node.runtime
      .configOf(file!.id)
      .mounts.find((m) => m.containerPath === '/tmp/why');
    assert.equal(mount?.hostPath, terminationLogPath(join(dir, 'pods'), uid, 'file', 0));
    await writeFile(mount.hostPath, 'bye now');
    await mkdir(dirname(logs!.logPath), { recursive: true });
    await writeFile(logs!.logPath, '2026-01-01T00:00:00Z stderr F boom\n');
    sim.node.runtime.exitContainer(file!.id, 0);
    sim.node.runtime.exitContainer(logs!.id, 2);
    await sim.until('Failed', async () => (await sim.get('tm'))?.status?.phase === 'Failed', 5);
    const st = (await sim.get('tm'))?.status?.containerStatuses ?? [];
    assert.equal(st.find((s) => s.name === 'file')?.state?.terminated?.message, 'bye now');
    assert.equal(st.find((s) => s.name === 'logs')?.state?.terminated?.message, 'boom\n');
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

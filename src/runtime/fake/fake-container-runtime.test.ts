import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/clock.ts';
import type { ContainerConfig, SandboxConfig } from '../container-runtime.ts';
import { FakeContainerRuntime } from './fake-container-runtime.ts';

const sandbox: SandboxConfig = {
  podUid: 'u',
  podName: 'p',
  podNamespace: 'default',
  attempt: 0,
  hostname: 'p',
  hostNetwork: false,
  hostIPC: false,
  hostPID: false,
  shareProcessNamespace: false,
  labels: { 'podbay.io/pod-uid': 'u' },
  annotations: {},
};
const container = (name: string): ContainerConfig => ({
  name,
  attempt: 0,
  image: 'busybox:1.36',
  args: ['sleep', '1000'],
  env: [],
  workingDir: '/',
  mounts: [],
  devices: [],
  logPath: '/tmp/x.log',
  stdin: false,
  stdinOnce: false,
  tty: false,
  stopSignal: 'SIGTERM',
  resources: {},
  security: {
    privileged: false,
    capAdd: [],
    capDrop: [],
    supplementalGroups: [],
    readOnlyRootfs: false,
    noNewPrivileges: false,
    procMount: 'Default',
  },
  labels: { 'podbay.io/pod-uid': 'u', 'podbay.io/container-name': name },
  annotations: {},
});

test('FakeContainerRuntime runs sandboxes and containers and reports exits', async () => {
  const clock = new FakeClock(0);
  const rt = new FakeContainerRuntime(clock);
  const events: string[] = [];
  rt.onEvent((e) => events.push(`${e.type} ${e.id}`));
  const sb = await rt.runPodSandbox(sandbox);
  const id = await rt.createContainer(sb.id, container('app'));
  await rt.startContainer(id);
  assert.equal((await rt.containerStatus(id)).state, 'running');
  rt.exitContainer(id, 3);
  const s = await rt.containerStatus(id);
  assert.deepEqual([s.state, s.exitCode, s.reason], ['exited', 3, 'Error']);
  assert.deepEqual(events, [`containerStarted ${id}`, `containerExited ${id}`]);
  assert.equal(
    (await rt.listContainers({ labels: { 'podbay.io/container-name': 'app' } })).length,
    1,
  );
  await assert.rejects(
    rt.createContainer(sb.id, { ...container('x'), args: [] }),
    /no command specified/,
  );
});

test('FakeContainerRuntime stop: TERM handled at once, or ignored until SIGKILL at the timeout', async () => {
  const clock = new FakeClock(0);
  const rt = new FakeContainerRuntime(clock);
  rt.setStopBehaviour('stubborn', {});
  const sb = await rt.runPodSandbox(sandbox);
  const a = await rt.createContainer(sb.id, container('polite'));
  const b = await rt.createContainer(sb.id, container('stubborn'));
  await rt.startContainer(a);
  await rt.startContainer(b);
  await rt.stopContainer(a, 30);
  assert.equal((await rt.containerStatus(a)).exitCode, 143);
  const stopping = rt.stopContainer(b, 5);
  await clock.advance(4999);
  assert.equal((await rt.containerStatus(b)).state, 'running');
  await clock.advance(1);
  await stopping;
  assert.equal((await rt.containerStatus(b)).exitCode, 137);
});

test('FakeContainerRuntime images: present ones resolve, missing ones fail to pull, errors inject', async () => {
  const rt = new FakeContainerRuntime(new FakeClock(0));
  rt.setImagePresent('busybox:1.36', { cmd: ['sh'] });
  assert.deepEqual((await rt.imageStatus('busybox:1.36'))?.config.cmd, ['sh']);
  await assert.rejects(rt.pullImage('nope:1'), /not found/);
  rt.injectError('runPodSandbox', new Error('boom'));
  await assert.rejects(rt.runPodSandbox(sandbox), /boom/);
  assert.ok(rt.calls.includes('pullImage nope:1'));
});

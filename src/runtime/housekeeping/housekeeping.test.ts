import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FakeClock } from '../../lib/clock.ts';
import type { ContainerConfig } from '../container-runtime.ts';
import { FakeContainerRuntime } from '../fake/fake-container-runtime.ts';
import { collectDeadContainers } from './dead-containers.ts';
import { rotateContainerLogs, rotatedFiles, rotationSuffix } from './log-rotation.ts';

const dir = mkdtempSync(join(tmpdir(), 'podbay-hk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function setup() {
  const clock = new FakeClock();
  const rt = new FakeContainerRuntime(clock);
  rt.setImagePresent('busybox:1.36');
  const sb = await rt.runPodSandbox({
    podUid: 'u1', podName: 'p', podNamespace: 'default', attempt: 0, hostname: 'p',
    hostNetwork: false, hostIPC: false, hostPID: false, shareProcessNamespace: false,
    labels: {}, annotations: {},
  }); // prettier-ignore
  const make = async (name: string, attempt: number): Promise<string> => {
    const logPath = join(dir, `${name}-${attempt}.log`);
    writeFileSync(logPath, `log of ${name} ${attempt}\n`);
    const config = {
      name, attempt, image: 'busybox:1.36', args: ['sh'], env: [], workingDir: '/', mounts: [],
      devices: [], logPath, stdin: false, stdinOnce: false, tty: false, stopSignal: 'SIGTERM',
      resources: {},
      security: { privileged: false, capAdd: [], capDrop: [], supplementalGroups: [],
        readOnlyRootfs: false, noNewPrivileges: false, procMount: 'Default' },
      labels: { 'io.kubernetes.pod.uid': 'u1' }, annotations: {},
    } satisfies ContainerConfig; // prettier-ignore
    const id = await rt.createContainer(sb.id, config);
    await rt.startContainer(id);
    await clock.advance(1000);
    return id;
  };
  return { rt, make };
}

test('dead containers: only the newest exited instance per container is kept, with its log', async () => {
  const { rt, make } = await setup();
  const a0 = await make('app', 0);
  rt.exitContainer(a0, 1);
  const a1 = await make('app', 1);
  rt.exitContainer(a1, 1);
  const a2 = await make('app', 2); // running
  const init = await make('init', 0);
  rt.exitContainer(init, 0);
  const removed = await collectDeadContainers(rt, 'io.kubernetes.pod.uid');
  assert.deepEqual(removed, [a0]);
  assert.deepEqual((await rt.listContainers()).map((c) => c.id).sort(), [a1, a2, init].sort());
  assert.equal(existsSync(join(dir, 'app-0.log')), false);
  assert.equal(existsSync(join(dir, 'app-1.log')), true);
  assert.deepEqual(await collectDeadContainers(rt, 'io.kubernetes.pod.uid'), []);
});

test('log rotation renames a large log, asks for a reopen and keeps maxFiles files', async () => {
  const { rt, make } = await setup();
  const id = await make('big', 0);
  const log = join(dir, 'big-0.log');
  const t = Date.UTC(2026, 11, 5, 14, 0, 0);
  for (let i = 0; i < 6; i++) {
    writeFileSync(log, 'x'.repeat(2048));
    const rotated = await rotateContainerLogs(rt, {
      maxSize: 1024,
      maxFiles: 3,
      now: new Date(t + i * 1000),
    });
    assert.deepEqual(rotated, [id]);
    assert.equal(existsSync(log), false); // the runtime (conmon) recreates it on reopen
  }
  const kept = await rotatedFiles(log);
  assert.deepEqual(kept, [
    `${log}.${rotationSuffix(new Date(t + 4000))}`,
    `${log}.${rotationSuffix(new Date(t + 5000))}`,
  ]);
  assert.equal(readFileSync(kept[1]!, 'utf8').length, 2048);
  writeFileSync(log, 'small');
  assert.deepEqual(await rotateContainerLogs(rt, { maxSize: 1024 }), []);
  assert.equal(rotationSuffix(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), '20260102-030405');
});

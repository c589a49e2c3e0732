// The runc + conmon runtime against the real binaries: sandboxes sharing localhost, exit codes,
// start errors, stop with grace then SIGKILL, OOM kills, re-adoption by a new runtime instance,
// and that removing everything leaves no container, mount, netns or cgroup behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerConfig, ImageInfo } from '../../src/runtime/container-runtime.ts';
import { ContainerStartError } from '../../src/runtime/container-runtime.ts';
import { mountsUnder } from '../../src/runtime/runc/mounts.ts';
import { netnsNameOf } from '../../src/runtime/runc/sandbox-namespaces.ts';
import { RuncRuntime, type RootfsSource } from '../../src/runtime/runc/runc-runtime.ts';
import { buildBusyboxRootfs } from '../support/images/busybox-rootfs.ts';
import { rotateContainerLogs, rotatedFiles } from '../../src/runtime/housekeeping/log-rotation.ts';
import { runcContainersLeft } from '../support/runc-left.ts';

const has = (cmd: string): boolean => {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : !has('runc') || !has('conmon')
      ? 'needs runc and conmon (scripts/install-deps.sh)'
      : false;

describe('RuncRuntime', { skip }, () => {
  let dir = '';
  let layer = '';
  let rt: RuncRuntime;
  const image: ImageInfo = {
    id: 'sha256:' + 'b'.repeat(64),
    repoTags: ['docker.io/library/busybox:latest'],
    repoDigests: [],
    size: 1,
    config: {},
  };
  const images: RootfsSource = {
    imageStatus: (ref) =>
      Promise.resolve(ref.includes('busybox') || ref === image.id ? image : undefined),
    lowerDirs: () => Promise.resolve([layer]),
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podbay-runc-'));
    layer = join(dir, 'layer');
    await mkdir(layer);
    execFileSync('tar', ['-xf', await buildBusyboxRootfs(), '-C', layer]);
    rt = new RuncRuntime({ dataDir: join(dir, 'data'), images, runBase: join(dir, 'run') });
    await rt.init();
  });

  after(async () => {
    await rt.removeAll();
    rt.close();
    const left = runcContainersLeft(rt.paths.runcRoot);
    const mounts = await mountsUnder(dir);
    await rm(dir, { recursive: true, force: true });
    assert.equal(left.trim(), '', 'no runc containers left');
    assert.deepEqual(mounts, [], 'no mounts left');
    const netns = execFileSync('ip', ['netns', 'list']).toString();
    for (const id of made) assert.ok(!netns.includes(netnsNameOf(id)), 'no netns left');
    assert.equal(
      existsSync(`/sys/fs/cgroup/memory/${rt.paths.cgroupRoot}`),
      false,
      'no cgroup left',
    );
  });

  const made: string[] = [];
  const sandbox = async (name: string, extra: { shareProcessNamespace?: boolean } = {}) => {
    const sb = await rt.runPodSandbox({
      podUid: `uid-${name}`,
      podName: name,
      podNamespace: 'default',
      attempt: 0,
      hostname: name,
      hostNetwork: false,
      hostIPC: false,
      hostPID: false,
      shareProcessNamespace: false,
      hostsFile: `127.0.0.1\tlocalhost\n`,
      labels: {},
      annotations: {},
      ...extra,
    });
    made.push(sb.id);
    return sb;
  };

  const config = (
    name: string,
    args: string[],
    extra: Partial<ContainerConfig> = {},
  ): ContainerConfig => ({
    name,
    attempt: 0,
    image: 'busybox',
    args,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    workingDir: '/',
    mounts: [],
    devices: [],
    logPath: join(dir, 'logs', name, '0.log'),
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
    labels: { c: name },
    annotations: {},
    ...extra,
  });

  const waitExit = async (id: string, ms = 10_000) => {
    const t0 = Date.now();
    for (;;) {
      const s = await rt.containerStatus(id);
      if (s.state === 'exited' || Date.now() - t0 > ms) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('runs a container to completion with its exit code and CRI log', async () => {
    const sb = await sandbox('exit7');
    const id = await rt.createContainer(
      sb.id,
      config('exit7', ['sh', '-c', 'echo hello; hostname; exit 7']),
    );
    await rt.startContainer(id);
    const s = await waitExit(id);
    assert.equal(s.state, 'exited');
    assert.equal(s.exitCode, 7);
    assert.equal(s.reason, 'Error');
    const log = await readFile(s.logPath, 'utf8');
    assert.match(log, /^\S+ stdout F hello$/m);
    assert.match(log, /stdout F exit7$/m);
    await rt.removePodSandbox(sb.id);
    assert.equal((await rt.listContainers({ sandboxId: sb.id })).length, 0);
  });

  it('lets two containers of one sandbox talk over localhost', async () => {
    const sb = await sandbox('pair');
    const srv = await rt.createContainer(
      sb.id,
      config('srv', ['httpd', '-f', '-p', '8080', '-h', '/etc']),
    );
    await rt.startContainer(srv);
    const cli = await rt.createContainer(
      sb.id,
      config('cli', [
        'sh',
        '-c',
        'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/hostname && exit 0; sleep 0.2; done; exit 1',
      ]),
    );
    await rt.startContainer(cli);
    const s = await waitExit(cli);
    assert.equal(s.exitCode, 0, await readFile(s.logPath, 'utf8'));
    assert.match(await readFile(s.logPath, 'utf8'), /stdout F pair$/m);
    const r = await rt.execSync(srv, ['cat', '/etc/hosts'], 5000);
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout.toString(), /localhost/);
    await rt.removePodSandbox(sb.id);
  });

  it('reports a start failure as StartError with exit code 128', async () => {
    const sb = await sandbox('bad');
    const id = await rt.createContainer(sb.id, config('bad', ['/no/such/binary']));
    await assert.rejects(rt.startContainer(id), (err: unknown) => {
      assert.ok(err instanceof ContainerStartError);
      assert.equal(err.reason, 'RunContainerError');
      assert.match(err.message, /no such file or directory/);
      return true;
    });
    const s = await rt.containerStatus(id);
    assert.equal(s.state, 'exited');
    assert.equal(s.exitCode, 128);
    assert.equal(s.reason, 'StartError');
    await rt.removePodSandbox(sb.id);
  });

  it('stops with the stop signal, then SIGKILL after the grace period', async () => {
    const sb = await sandbox('stop');
    const trap = await rt.createContainer(
      sb.id,
      config('trap', ['sh', '-c', 'trap "exit 143" TERM; while true; do sleep 1 & wait $!; done']),
    );
    const deaf = await rt.createContainer(sb.id, config('deaf', ['sleep', '1000']));
    await rt.startContainer(trap);
    await rt.startContainer(deaf);
    const t0 = Date.now();
    await rt.stopContainer(trap, 10);
    assert.ok(Date.now() - t0 < 3000);
    assert.equal((await rt.containerStatus(trap)).exitCode, 143);
    const t1 = Date.now();
    await rt.stopContainer(deaf, 1);
    assert.ok(Date.now() - t1 >= 1000);
    assert.equal((await rt.containerStatus(deaf)).exitCode, 137);
    await rt.removePodSandbox(sb.id);
  });

  it('reports OOMKilled for a container over its memory limit', async () => {
    const sb = await sandbox('oom');
    const id = await rt.createContainer(
      sb.id,
      config('oom', ['sh', '-c', 'exec tail /dev/zero'], {
        resources: { memoryLimitBytes: 16 * 1024 * 1024 },
      }),
    );
    await rt.startContainer(id);
    const s = await waitExit(id, 20_000);
    assert.equal(s.reason, 'OOMKilled');
    assert.equal(s.exitCode, 137);
    await rt.removePodSandbox(sb.id);
  });

  it('shares one PID namespace (catatonit as PID 1) with shareProcessNamespace', async () => {
    const sb = await sandbox('shared-pid', { shareProcessNamespace: true });
    const a = await rt.createContainer(sb.id, config('a', ['sleep', '1001']));
    await rt.startContainer(a);
    const b = await rt.createContainer(sb.id, config('b', ['sleep', '1002']));
    await rt.startContainer(b);
    const ps = (await rt.execSync(b, ['ps', '-o', 'pid,args'], 5000)).stdout.toString();
    assert.match(ps, /^\s*1 \/catatonit -P$/m);
    assert.match(ps, /sleep 1001/);
    assert.match(ps, /sleep 1002/);
    await rt.removePodSandbox(sb.id);
    const left = runcContainersLeft(rt.paths.runcRoot);
    assert.doesNotMatch(left, new RegExp(`${sb.id}-infra`));
  });

  it('rotates a log: rename, reopen, and conmon carries on in a fresh file', async () => {
    const sb = await sandbox('rotate');
    const id = await rt.createContainer(
      sb.id,
      config('rotate', [
        'sh',
        '-c',
        'i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.05; done',
      ]),
    );
    await rt.startContainer(id);
    const { logPath } = await rt.containerStatus(id);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await rotateContainerLogs(rt, { maxSize: 10 }), [id]);
    const rotated = await rotatedFiles(logPath);
    assert.equal(rotated.length, 1);
    await new Promise((r) => setTimeout(r, 500));
    const before = (await readFile(rotated[0]!, 'utf8')).trim().split('\n');
    const now = (await readFile(logPath, 'utf8')).trim().split('\n');
    const last = Number(/line-(\d+)$/.exec(before.at(-1)!)?.[1]);
    const first = Number(/line-(\d+)$/.exec(now[0]!)?.[1]);
    assert.equal(first, last + 1, 'nothing lost or repeated across the rotation');
    await rt.removePodSandbox(sb.id);
  });

  it('is re-adopted by a new runtime instance without restarting', async () => {
    const sb = await sandbox('adopt');
    const id = await rt.createContainer(sb.id, config('adopt', ['sleep', '1000']));
    await rt.startContainer(id);
    rt.close();
    const again = new RuncRuntime({
      dataDir: join(dir, 'data'),
      images,
      runBase: join(dir, 'run'),
    });
    await again.init();
    const s = await again.containerStatus(id);
    assert.equal(s.state, 'running');
    assert.equal(
      (await again.listPodSandboxes()).some((x) => x.id === sb.id),
      true,
    );
    await again.removePodSandbox(sb.id);
    again.close();
    rt = new RuncRuntime({ dataDir: join(dir, 'data'), images, runBase: join(dir, 'run') });
    await rt.init();
    assert.equal((await rt.listContainers()).length, 0);
  });
});

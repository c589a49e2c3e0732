import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from '../../k8s/types/pod.ts';
import { CreateContainerConfigError } from '../container-env.ts';
import { expandSubPathExpr } from './container-mounts.ts';
import { isRoot, volumeFixture, type VolumeFixture } from './testing/volume-fixture.ts';

let f: VolumeFixture;
let host: string;
before(async () => {
  f = await volumeFixture({ memoryBacked: isRoot });
  host = await mkdtemp(join(tmpdir(), 'podbay-host-'));
});
after(async () => {
  await f.close();
  await rm(host, { recursive: true, force: true });
});

const withMounts = (pod: Pod, volumeMounts: Container['volumeMounts']): Container => ({
  name: 'app',
  volumeMounts: volumeMounts!,
});

test('expandSubPathExpr expands $(VAR) and $$; missing or empty variables are an error', () => {
  assert.equal(expandSubPathExpr('logs/$(POD_NAME)/$$x', { POD_NAME: 'web' }), 'logs/web/$x');
  assert.throws(() => expandSubPathExpr('$(B)/$(A)/$(C)', { C: 'c', A: '' }), {
    name: 'CreateContainerConfigError',
    message: 'missing value for A, B',
  });
});

test('hostPath volumes mount the host path itself, after the type check', async () => {
  const data = join(host, 'data');
  const pod = f.pod({
    volumes: [
      { name: 'data', hostPath: { path: data, type: 'DirectoryOrCreate' } },
      { name: 'any', hostPath: { path: host } },
    ],
  });
  await f.vm.setUpPod(pod);
  assert.ok((await stat(data)).isDirectory());
  const c = withMounts(pod, [
    { name: 'data', mountPath: '/data' },
    { name: 'any', mountPath: '/host', readOnly: true, mountPropagation: 'HostToContainer' },
  ]);
  assert.deepEqual(await f.vm.mountsFor(pod, c, {}), [
    { containerPath: '/data', hostPath: data, readOnly: false },
    { containerPath: '/host', hostPath: host, readOnly: true, propagation: 'hostToContainer' },
  ]);
  const bad = f.pod({ volumes: [{ name: 'sock', hostPath: { path: data, type: 'Socket' } }] });
  await assert.rejects(f.vm.setUpPod(bad), {
    name: 'VolumeError',
    message: `MountVolume.SetUp failed for volume "sock" : hostPath type check failed: ${data} is not a socket file`,
  });
});

test('subPath and subPathExpr: created as directories with the volume mode, or an existing file', async () => {
  await f.configMap('sub-cm', { 'nginx.conf': 'server {}' });
  const pod = f.pod({
    volumes: [
      { name: 'work', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'sub-cm' } },
    ],
  });
  await f.vm.setUpPod(pod);
  const work = join(f.podsDir, pod.metadata.uid!, 'volumes/kubernetes.io~empty-dir/work');
  const c = withMounts(pod, [
    { name: 'work', mountPath: '/a', subPath: 'x/y' },
    { name: 'work', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)' },
    { name: 'cfg', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' },
  ]);
  const mounts = await f.vm.mountsFor(pod, c, { POD_NAME: 'web' });
  assert.equal(mounts[0]!.hostPath, join(work, 'x/y'));
  assert.equal((await stat(join(work, 'x/y'))).mode & 0o7777, 0o777);
  assert.equal((await stat(join(work, 'x'))).mode & 0o7777, 0o777);
  assert.equal(mounts[1]!.hostPath, join(work, 'logs/web'));
  assert.equal(mounts[2]!.readOnly, true);
  assert.match(mounts[2]!.hostPath, /\/\.\.\d{4}_[^/]+\/nginx\.conf$/);
  assert.equal(await readFile(mounts[2]!.hostPath, 'utf8'), 'server {}');
});

test('subPath errors: absolute, backsteps, symlink escapes, unknown volume', async () => {
  const pod = f.pod({ volumes: [{ name: 'work', emptyDir: {} }] });
  await f.vm.setUpPod(pod);
  const work = join(f.podsDir, pod.metadata.uid!, 'volumes/kubernetes.io~empty-dir/work');
  await symlink(host, join(work, 'out'));
  await symlink('/etc/hostname', join(work, 'file-out'));
  await symlink(join(host, 'missing-dir'), join(work, 'dangling'));
  await mkdir(join(work, 'in'));
  await symlink('in', join(work, 'inside'));
  await writeFile(join(work, 'plain'), 'x');
  const err = async (vm: NonNullable<Container['volumeMounts']>[number], env = {}) =>
    f.vm.mountsFor(pod, withMounts(pod, [vm]), env).then(
      () => assert.fail('expected an error'),
      (e: unknown) => {
        assert.ok(e instanceof CreateContainerConfigError, String(e));
        return e.message;
      },
    );
  assert.equal(
    await err({ name: 'work', mountPath: '/m', subPath: '/etc' }),
    'error SubPath `/etc` must not be an absolute path',
  );
  assert.equal(
    await err({ name: 'work', mountPath: '/m', subPath: 'a/../../b' }),
    "unable to provision SubPath `a/../../b`: must not contain '..'",
  );
  assert.equal(
    await err({ name: 'work', mountPath: '/m', subPathExpr: '$(D)' }, { D: '../x' }),
    "unable to provision SubPath `../x`: must not contain '..'",
  );
  const prepare = 'failed to prepare subPath for volumeMount "work" of container "app"';
  assert.equal(await err({ name: 'work', mountPath: '/m', subPath: 'out' }), prepare);
  assert.equal(await err({ name: 'work', mountPath: '/m', subPath: 'file-out' }), prepare);
  assert.equal(
    await err({ name: 'work', mountPath: '/m', subPath: 'dangling/x' }),
    'failed to create subPath directory for volumeMount "work" of container "app"',
  );
  assert.equal(
    await err({ name: 'work', mountPath: '/m', subPath: 'out/new' }),
    'failed to create subPath directory for volumeMount "work" of container "app"',
  );
  await assert.rejects(stat(join(host, 'missing-dir')), { code: 'ENOENT' });
  await assert.rejects(stat(join(host, 'new')), { code: 'ENOENT' });
  assert.equal(
    await err({ name: 'ghost', mountPath: '/m' }),
    'cannot find volume "ghost" to mount into container "app"',
  );
  const pvc = f.pod({ volumes: [{ name: 'claim', persistentVolumeClaim: { claimName: 'c' } }] });
  await assert.rejects(
    f.vm.mountsFor(pvc, withMounts(pvc, [{ name: 'claim', mountPath: '/c' }]), {}),
    {
      name: 'CreateContainerConfigError',
      message: /persistentVolumeClaim volumes are not supported/,
    },
  );
  const ok = await f.vm.mountsFor(
    pod,
    withMounts(pod, [{ name: 'work', mountPath: '/m', subPath: 'inside/deeper' }]),
    {},
  );
  assert.equal(ok[0]!.hostPath, join(work, 'in/deeper'));
  const file = await f.vm.mountsFor(
    pod,
    withMounts(pod, [{ name: 'work', mountPath: '/m', subPath: 'plain' }]),
    {},
  );
  assert.equal(file[0]!.hostPath, join(work, 'plain'));
});

test('a subPath in a hostPath volume is created with the host directory mode', async () => {
  const root = join(host, 'shared');
  await mkdir(root);
  await chmod(root, 0o750);
  const pod = f.pod({ volumes: [{ name: 'h', hostPath: { path: root, type: 'Directory' } }] });
  await f.vm.setUpPod(pod);
  const m = await f.vm.mountsFor(
    pod,
    withMounts(pod, [{ name: 'h', mountPath: '/h', subPath: 'p/q' }]),
    {},
  );
  assert.equal(m[0]!.hostPath, join(root, 'p/q'));
  assert.equal((await stat(join(root, 'p/q'))).mode & 0o7777, 0o750);
});

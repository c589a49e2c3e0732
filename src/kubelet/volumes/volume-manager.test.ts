import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, readdir, readFile, readlink, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Pod } from '../../k8s/types/pod.ts';
import { mountAt } from './mounts.ts';
import { isRoot, volumeFixture, type VolumeFixture } from './testing/volume-fixture.ts';
import { VolumeError } from './volume-manager.ts';

const run = promisify(execFile);
const noRoot = isRoot ? false : 'needs root to mount (tmpfs, bind)';
let f: VolumeFixture;
before(async () => (f = await volumeFixture({ memoryBacked: isRoot })));
after(() => f.close());

const dirOf = (pod: Pod, plugin: string, name: string): string =>
  join(f.podsDir, pod.metadata.uid!, 'volumes', `kubernetes.io~${plugin}`, name);
const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o7777;
const entries = async (d: string): Promise<string[]> =>
  (await readdir(d)).filter((e) => !e.startsWith('..')).sort();

test('configMap: all keys (data and binaryData) with defaultMode; items with paths and modes; mounted read-only', async () => {
  await f.configMap(
    'app-config',
    { 'app.conf': 'a=1\n', 'b.txt': 'bee' },
    { 'bin.dat': Buffer.from([0, 1, 255]).toString('base64') },
  );
  const pod = f.pod({
    volumes: [
      { name: 'config', configMap: { name: 'app-config', defaultMode: 0o640 } },
      {
        name: 'picked',
        configMap: {
          name: 'app-config',
          items: [
            { key: 'b.txt', path: 'sub/dir/b', mode: 0o400 },
            { key: 'app.conf', path: 'app.conf' },
          ],
        },
      },
    ],
    containers: [{ name: 'app', volumeMounts: [{ name: 'config', mountPath: '/etc/app' }] }],
  });
  await f.vm.setUpPod(pod);
  const all = dirOf(pod, 'configmap', 'config');
  assert.deepEqual(await entries(all), ['app.conf', 'b.txt', 'bin.dat']);
  assert.equal(await readFile(join(all, 'app.conf'), 'utf8'), 'a=1\n');
  assert.deepEqual([...(await readFile(join(all, 'bin.dat')))], [0, 1, 255]);
  assert.equal(await mode(join(all, 'b.txt')), 0o640);
  assert.equal(await mode(all), 0o777);
  const picked = dirOf(pod, 'configmap', 'picked');
  assert.deepEqual(await entries(picked), ['app.conf', 'sub']);
  assert.equal(await readlink(join(picked, 'sub')), '..data/sub');
  assert.equal(await readFile(join(picked, 'sub/dir/b'), 'utf8'), 'bee');
  assert.equal(await mode(join(picked, 'sub/dir/b')), 0o400);
  assert.equal(await mode(join(picked, 'app.conf')), 0o644);
  const mounts = await f.vm.mountsFor(pod, pod.spec.containers[0]!, {});
  assert.deepEqual(mounts, [{ containerPath: '/etc/app', hostPath: all, readOnly: true }]);
});

test('missing objects and keys: optional gives an empty volume or skips the key; otherwise FailedMount', async () => {
  await f.configMap('partial', { present: 'yes' });
  const ok = f.pod({
    volumes: [
      { name: 'gone', configMap: { name: 'nope', optional: true } },
      { name: 'gone-secret', secret: { secretName: 'nope', optional: true } },
      {
        name: 'some',
        configMap: {
          name: 'partial',
          optional: true,
          items: [
            { key: 'absent', path: 'a' },
            { key: 'present', path: 'p' },
          ],
        },
      },
    ],
  });
  await f.vm.setUpPod(ok);
  assert.deepEqual(await entries(dirOf(ok, 'configmap', 'gone')), []);
  assert.deepEqual(await readdir(join(dirOf(ok, 'configmap', 'gone'), '..data')), []);
  assert.deepEqual(await entries(dirOf(ok, 'secret', 'gone-secret')), []);
  assert.deepEqual(await entries(dirOf(ok, 'configmap', 'some')), ['p']);

  const cases: [Pod['spec']['volumes'], string][] = [
    [
      [{ name: 'config', configMap: { name: 'app-missing' } }],
      'MountVolume.SetUp failed for volume "config" : configmap "app-missing" not found',
    ],
    [
      [{ name: 'creds', secret: { secretName: 'db' } }],
      'MountVolume.SetUp failed for volume "creds" : secret "db" not found',
    ],
    [
      [{ name: 'c', configMap: { name: 'partial', items: [{ key: 'k', path: 'k' }] } }],
      'MountVolume.SetUp failed for volume "c" : configmap references non-existent config key: k',
    ],
    [
      [{ name: 'data', persistentVolumeClaim: { claimName: 'pvc' } }],
      'MountVolume.SetUp failed for volume "data" : persistentVolumeClaim volumes are not supported on podbay (supported: emptyDir, hostPath, configMap, secret, downwardAPI, projected)',
    ],
    [
      [{ name: 'n', nfs: { server: 'x', path: '/' } }],
      'MountVolume.SetUp failed for volume "n" : nfs volumes are not supported on podbay (supported: emptyDir, hostPath, configMap, secret, downwardAPI, projected)',
    ],
  ];
  for (const [volumes, message] of cases) {
    const err = await f.vm.setUpPod(f.pod({ volumes: volumes! })).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof VolumeError, String(err));
    assert.equal(err.message, message);
    assert.equal(err.reason, 'FailedMount');
  }
});

test('a failing volume does not stop the others; the first failure is thrown', async () => {
  const pod = f.pod({
    volumes: [
      { name: 'bad', configMap: { name: 'nope-1' } },
      { name: 'bad2', configMap: { name: 'nope-2' } },
      { name: 'scratch', emptyDir: {} },
    ],
  });
  await assert.rejects(f.vm.setUpPod(pod), { name: 'VolumeError', volume: 'bad' });
  assert.equal(await mode(dirOf(pod, 'empty-dir', 'scratch')), 0o777);
});

test('re-running setUpPod updates contents atomically: ..data swapped, removed keys gone, an open directory sees the new file', async () => {
  await f.configMap('live', { a: 'one', b: 'bee' });
  const pod = f.pod({ volumes: [{ name: 'live', configMap: { name: 'live' } }] });
  await f.vm.setUpPod(pod);
  const dir = dirOf(pod, 'configmap', 'live');
  const first = await readlink(join(dir, '..data'));
  f.later();
  await f.vm.setUpPod(pod);
  assert.equal(await readlink(join(dir, '..data')), first, 'unchanged contents are not rewritten');
  const held = await open(dir, 'r');
  const oldFile = await open(join(dir, 'a'), 'r');
  try {
    await f.configMap('live', { a: 'two' });
    f.later();
    await f.vm.setUpPod(pod);
    assert.notEqual(await readlink(join(dir, '..data')), first);
    assert.equal(await readFile(`/proc/self/fd/${held.fd}/a`, 'utf8'), 'two');
    assert.equal(
      (await oldFile.readFile()).toString(),
      'one',
      'an already-open file keeps its content',
    );
    assert.deepEqual(await entries(dir), ['a']);
    assert.deepEqual((await readdir(dir)).filter((e) => e.startsWith('..')).length, 2);
  } finally {
    await oldFile.close();
    await held.close();
  }
});

test('a set-up within a second of the last complete one is skipped, unless the pod metadata changed', async () => {
  await f.configMap('quick', { k: 'one' });
  const pod = f.pod({
    volumes: [
      { name: 'quick', configMap: { name: 'quick' } },
      {
        name: 'info',
        downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
      },
    ],
  });
  await f.vm.setUpPod(pod);
  const file = join(dirOf(pod, 'configmap', 'quick'), 'k');
  await f.configMap('quick', { k: 'two' });
  await f.vm.setUpPod(pod); // the next sync, right after: nothing to redo
  assert.equal(await readFile(file, 'utf8'), 'one');
  // New labels are what the downward API volume shows: that set-up is redone, whole.
  const relabelled = { ...pod, metadata: { ...pod.metadata, labels: { tier: 'web' } } };
  await f.vm.setUpPod(relabelled);
  assert.equal(
    await readFile(join(dirOf(pod, 'downward-api', 'info'), 'labels'), 'utf8'),
    'tier="web"',
  );
  assert.equal(await readFile(file, 'utf8'), 'two');
  // And a later sync picks up ConfigMap changes, as the kubelet's periodic sync does.
  await f.configMap('quick', { k: 'three' });
  f.later();
  await f.vm.setUpPod(relabelled);
  assert.equal(await readFile(file, 'utf8'), 'three');
});

test(
  'a bind mount of the volume directory (as a container gets) sees updates',
  { skip: noRoot },
  async () => {
    await f.configMap('bound', { k: 'v1' });
    const pod = f.pod({ volumes: [{ name: 'b', configMap: { name: 'bound' } }] });
    await f.vm.setUpPod(pod);
    const target = join(f.podsDir, 'bind-target');
    await mkdir(target);
    await run('mount', ['--bind', dirOf(pod, 'configmap', 'b'), target]);
    try {
      await f.configMap('bound', { k: 'v2' });
      f.later();
      await f.vm.setUpPod(pod);
      assert.equal(await readFile(join(target, 'k'), 'utf8'), 'v2');
    } finally {
      await run('umount', [target]);
    }
  },
);

test('secret: decoded data on a tmpfs, defaultMode and item modes', { skip: noRoot }, async () => {
  await f.secret('db', { password: 's3cr3t', user: 'admin' });
  const pod = f.pod({
    volumes: [
      { name: 'creds', secret: { secretName: 'db', defaultMode: 0o400 } },
      {
        name: 'one',
        secret: { secretName: 'db', items: [{ key: 'user', path: 'u', mode: 0o600 }] },
      },
    ],
  });
  await f.vm.setUpPod(pod);
  const dir = dirOf(pod, 'secret', 'creds');
  assert.equal((await mountAt(dir))?.fsType, 'tmpfs');
  assert.equal(await readFile(join(dir, 'password'), 'utf8'), 's3cr3t');
  assert.equal(await mode(join(dir, 'password')), 0o400);
  assert.equal(await mode(join(dirOf(pod, 'secret', 'one'), 'u')), 0o600);
  await f.vm.setUpPod(pod);
  assert.equal((await f.mounts()).filter((m) => m.mountPoint === dir).length, 1, 'mounted once');
});

test(
  'emptyDir: a 0777 directory; medium Memory is a tmpfs of sizeLimit bytes',
  { skip: noRoot },
  async () => {
    const pod = f.pod({
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '2Mi' } },
        { name: 'ram', emptyDir: { medium: 'Memory' } },
      ],
      containers: [
        {
          name: 'app',
          volumeMounts: [
            { name: 'cache', mountPath: '/cache' },
            { name: 'scratch', mountPath: '/s', readOnly: true },
          ],
        },
      ],
    });
    await f.vm.setUpPod(pod);
    const scratch = dirOf(pod, 'empty-dir', 'scratch');
    assert.equal(await mode(scratch), 0o777);
    assert.equal(await mountAt(scratch), undefined);
    const cache = dirOf(pod, 'empty-dir', 'cache');
    assert.equal((await mountAt(cache))?.fsType, 'tmpfs');
    const fs = await statfs(cache);
    assert.equal(fs.blocks * fs.bsize, 2 * 1024 * 1024);
    assert.equal((await mode(cache)) & 0o777, 0o777);
    const ram = dirOf(pod, 'empty-dir', 'ram');
    assert.equal((await mountAt(ram))?.fsType, 'tmpfs');
    const ramFs = await statfs(ram);
    assert.equal(ramFs.blocks * ramFs.bsize, 2 ** 30, 'no sizeLimit, no pod limit: node memory');
    const limited = f.pod({
      volumes: [{ name: 'ram', emptyDir: { medium: 'Memory' } }],
      containers: [{ name: 'app', resources: { limits: { memory: '4Mi' } } }],
    });
    await f.vm.setUpPod(limited);
    const lfs = await statfs(dirOf(limited, 'empty-dir', 'ram'));
    assert.equal(lfs.blocks * lfs.bsize, 4 * 2 ** 20, 'the pod memory limit');
    assert.deepEqual(await f.vm.mountsFor(pod, pod.spec.containers[0]!, {}), [
      { containerPath: '/cache', hostPath: cache, readOnly: false },
      { containerPath: '/s', hostPath: scratch, readOnly: true },
    ]);
  },
);

test('downwardAPI: pod fields and resources on a tmpfs, refreshed when labels change', async () => {
  const pod = f.pod({
    volumes: [
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            {
              path: 'mem',
              resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' },
              mode: 0o600,
            },
          ],
        },
      },
    ],
  });
  await f.vm.setUpPod(pod);
  const dir = dirOf(pod, 'downward-api', 'info');
  if (isRoot) assert.equal((await mountAt(dir))?.fsType, 'tmpfs');
  assert.equal(await readFile(join(dir, 'labels'), 'utf8'), 'app="web"');
  assert.equal(await readFile(join(dir, 'name'), 'utf8'), 'web');
  assert.equal(await readFile(join(dir, 'mem'), 'utf8'), '1024');
  assert.equal(await mode(join(dir, 'mem')), 0o600);
  pod.metadata.labels = { app: 'web', version: 'v2' };
  await f.vm.setUpPod(pod);
  assert.equal(await readFile(join(dir, 'labels'), 'utf8'), 'app="web"\nversion="v2"');
});

test('tearDownPod unmounts every tmpfs and removes the volumes directory; it is idempotent', async () => {
  await f.secret('td', { k: 'v' });
  const pod = f.pod({
    volumes: [
      { name: 's', secret: { secretName: 'td' } },
      { name: 'm', emptyDir: isRoot ? { medium: 'Memory' } : {} },
      { name: 'e', emptyDir: {} },
    ],
  });
  await f.vm.setUpPod(pod);
  const podDir = join(f.podsDir, pod.metadata.uid!);
  if (isRoot)
    assert.equal((await f.mounts()).filter((m) => m.mountPoint.startsWith(podDir)).length, 2);
  await f.vm.tearDownPod(pod.metadata.uid!);
  assert.equal((await f.mounts()).filter((m) => m.mountPoint.startsWith(podDir)).length, 0);
  await assert.rejects(stat(join(podDir, 'volumes')), { code: 'ENOENT' });
  await f.vm.tearDownPod(pod.metadata.uid!);
  await f.vm.tearDownPod('never-seen');
});

/**
 * Pods run for real (issue 4): the daemon's node agent with runc + conmon, the pod network,
 * volumes and local images, driven by the real kubectl through the seeds' manifests. Checks the
 * patterns users come for (shared emptyDir, sidecar reading the app's log file, localhost
 * between containers, init containers, command/args, hostPath, configMap, exec, logs -c) and
 * that nothing is left on the machine afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { importDemoImages } from '../support/images/demo-images.ts';
import {
  pushDebian,
  registrySkipReason,
  startTestRegistry,
  type TestRegistry,
} from '../support/registry.ts';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { runcContainersLeft } from '../support/runc-left.ts';

const kubectl = kubectlPath();
const seeds = join(import.meta.dirname, '..', 'fixtures', 'seeds');
const skip = !kubectl
  ? 'kubectl is not installed'
  : (nodeAgentUnavailable() ?? registrySkipReason());

describe('pods run under runc + conmon, driven by kubectl', { skip }, () => {
  let d: TestDaemon;
  let k: Kubectl;
  let runcRoot = '';
  let bridge = '';

  let maxMapCount = '';
  let registry: TestRegistry | undefined;
  before(async () => {
    maxMapCount = readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim();
    // docker.io is mirrored to a local registry holding busybox as `busybox` and `ubuntu`, so
    // the seeds' untagged images (pull policy Always) pull offline.
    registry = await startTestRegistry();
    await registry.pushBusybox('library/busybox', ['latest']);
    await registry.pushBusybox('library/ubuntu', ['latest']);
    await pushDebian(registry, ['nginx', 'debian', 'alpine']); // real nginx, from Debian packages
    d = await startTestDaemon(undefined, {
      nodeAgent: true,
      registries: { mirrors: { 'docker.io': [registry.url] } },
    });
    await importDemoImages(d.daemon.agent!.images, { standIns: false });
    runcRoot = d.daemon.agent!.runtime.paths.runcRoot;
    bridge = d.daemon.agent!.network.bridge;
    k = new Kubectl(d.daemon.url, kubectl!);
  });

  after(async () => {
    await registry?.stop();
    writeFileSync('/proc/sys/vm/max_map_count', maxMapCount);
    const dataDir = d.dataDir;
    await d?.stop();
    const containers = runcContainersLeft(runcRoot);
    assert.equal(containers, '', 'no containers left');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(dataDir), 'no mounts left under the data dir');
    assert.doesNotMatch(execFileSync('ip', ['-o', 'link']).toString(), new RegExp(`${bridge}\\b`));
  });

  const jsonpath = async (pod: string, path: string): Promise<string> =>
    k.ok(['get', 'pod', pod, '-o', `jsonpath=${path}`]);

  const waitFor = async (what: string, fn: () => Promise<boolean>, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const running = (pod: string) =>
    waitFor(`${pod} Running`, async () => (await jsonpath(pod, '{.status.phase}')) === 'Running');

  test('sidecar seed: the log reader tails the app log file through a shared emptyDir', async () => {
    await k.ok(['apply', '-f', join(seeds, 'sidecar-pod.yaml')]);
    await k.ok(['wait', '--for=condition=Ready', 'pod/sidecar-pod', '--timeout=60s']);
    const ip = await jsonpath('sidecar-pod', '{.status.podIP}');
    assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
    // The sidecar reaches nginx over localhost; the request lands in nginx's access log.
    const page = await k.ok([
      'exec',
      'sidecar-pod',
      '-c',
      'log-reader',
      '--',
      'wget',
      '-qO-',
      'http://127.0.0.1/',
    ]);
    assert.match(page, /Welcome to nginx/);
    // And from the host, by the pod's IP.
    assert.match(await (await fetch(`http://${ip}/`)).text(), /Welcome to nginx/);
    await waitFor('the sidecar shows the request', async () =>
      (await k.ok(['logs', 'sidecar-pod', '-c', 'log-reader'])).includes('GET / HTTP/1.1'),
    );
    const table = await k.ok(['get', 'pod', 'sidecar-pod']);
    assert.match(table, /sidecar-pod\s+2\/2\s+Running\s+0/);
  });

  test('init container fills an emptyDir that the app serves; exec reaches each container', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: init-demo
spec:
  initContainers:
  - name: install
    image: busybox:1.36
    command: ['sh', '-c', 'echo "hello from init" > /work-dir/index.html']
    volumeMounts:
    - name: workdir
      mountPath: /work-dir
  containers:
  - name: nginx
    image: nginx:1.27
    volumeMounts:
    - name: workdir
      mountPath: /usr/share/nginx/html
  volumes:
  - name: workdir
    emptyDir: {}
`;
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await running('init-demo');
    const ip = await jsonpath('init-demo', '{.status.podIP}');
    await waitFor('served', async () => {
      const r = await fetch(`http://${ip}/`).catch(() => undefined);
      return (await r?.text())?.includes('hello from init') === true;
    });
    const init = await jsonpath(
      'init-demo',
      '{.status.initContainerStatuses[0].state.terminated.reason}',
    );
    assert.equal(init, 'Completed');
    const r = await k.run(['exec', 'init-demo', '-c', 'nginx', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
    assert.equal((await k.ok(['exec', 'init-demo', '--', 'hostname'])).trim(), 'init-demo');
  });

  test('command/args, hostPath and configMap volumes, and a failing container', async () => {
    await k.ok(['create', 'configmap', 'app-config', '--from-literal=greeting=hi there']);
    await k.ok(['create', 'secret', 'generic', 'app-secret', '--from-literal=token=s3cr3t']);
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: volumes-demo
spec:
  restartPolicy: Never
  containers:
  - name: reader
    image: busybox:1.36
    command: ['sh', '-c']
    args: ['cat /config/greeting; echo; ls /host-tmp >/dev/null && echo hostpath-ok; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; cat /secret/token; echo; stat -L -c %a /secret/token']
    volumeMounts:
    - { name: config, mountPath: /config }
    - { name: host, mountPath: /host-tmp }
    - { name: secret, mountPath: /secret }
  volumes:
  - name: secret
    secret: { secretName: app-secret, defaultMode: 0400 }
  - name: config
    configMap: { name: app-config }
  - name: host
    hostPath: { path: /tmp, type: Directory }
`;
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await waitFor(
      'Succeeded',
      async () => (await jsonpath('volumes-demo', '{.status.phase}')) === 'Succeeded',
    );
    const logs = await k.ok(['logs', 'volumes-demo']);
    assert.equal(logs, 'hi there\nhostpath-ok\ndefault\ns3cr3t\n400\n');
  });

  test('a command that does not exist is StartError 128 with RunContainerError', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: bad-command
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: ['/no/such/thing']
`;
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await waitFor(
      'Failed',
      async () => (await jsonpath('bad-command', '{.status.phase}')) === 'Failed',
    );
    const t = JSON.parse(
      await jsonpath('bad-command', '{.status.containerStatuses[0].state.terminated}'),
    ) as {
      exitCode: number;
      reason: string;
      message: string;
    };
    assert.equal(t.exitCode, 128);
    assert.equal(t.reason, 'StartError');
    assert.match(t.message, /no such file or directory/);
  });

  test('sysctl seed: a privileged init container of a Deployment writes a host sysctl', async () => {
    await k.ok(['apply', '-f', join(seeds, 'ubuntu-init-sysctl.yaml')]);
    await k.ok(['rollout', 'status', 'deploy/ubuntu', '--timeout=60s']);
    assert.equal(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim(), '262144');
    await k.ok(['delete', 'deploy/ubuntu']);
  });

  test('native sidecar seed: the log shipper (restartPolicy Always init container) ships the app log', async () => {
    await k.ok(['apply', '-f', join(seeds, 'native-sidecar-deployment.yaml')]);
    await k.ok(['rollout', 'status', 'deploy/myapp', '--timeout=60s']);
    const pods = await k.ok([
      'get',
      'pods',
      '-l',
      'app=myapp',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
    await waitFor('shipped lines', async () =>
      (await k.ok(['logs', pods, '-c', 'logshipper'])).includes('logging'),
    );
    assert.match(await k.ok(['get', 'pod', pods]), /2\/2\s+Running\s+0/);
    const started = await jsonpath(pods, '{.status.initContainerStatuses[0].started}');
    assert.equal(started, 'true');
    await k.ok(['delete', 'deploy/myapp', '--wait=true']);
  });

  test('adapter seed: the adapter transformed log appears in its output', async () => {
    await k.ok(['apply', '-f', join(seeds, 'pod-with-adapter.yaml')]);
    await waitFor(
      'PROCESSED lines',
      async () =>
        / - log 1 PROCESSED$/m.test(
          (await k.run(['logs', 'pod-with-adapter', '-c', 'log-adapter'])).stdout,
        ),
      40_000,
    );
    await k.ok(['delete', 'pod', 'pod-with-adapter', '--grace-period=1']);
  });

  test('hostNetwork: the pod shares the node network and its IP', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: host-net
spec:
  hostNetwork: true
  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: ['sh', '-c', 'ip link show ${bridge} >/dev/null && echo 1']
`;
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await waitFor(
      'Succeeded',
      async () => (await jsonpath('host-net', '{.status.phase}')) === 'Succeeded',
    );
    assert.equal((await k.ok(['logs', 'host-net'])).trim(), '1');
    assert.equal(
      await jsonpath('host-net', '{.status.podIP}'),
      await jsonpath('host-net', '{.status.hostIP}'),
    );
  });

  test('deleting pods stops and removes their containers', async () => {
    await k.ok(['delete', 'pod', '--all', '--wait=true', '--timeout=60s']);
    await waitFor('containers removed', () => Promise.resolve(runcContainersLeft(runcRoot) === ''));
    assert.equal((await d.daemon.agent!.runtime.listPodSandboxes()).length, 0);
  });
});

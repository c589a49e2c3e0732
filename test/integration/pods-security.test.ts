/**
 * Security contexts, resources and bad input on real containers (issue 4): runAsUser/Group,
 * fsGroup as a supplementary group, readOnlyRootFilesystem, dropped capabilities,
 * runAsNonRoot refused as CreateContainerConfigError, a memory limit OOM-killing the container
 * (OOMKilled, 137), a hostPath of the wrong type as a FailedMount event, and none of it
 * affecting a healthy pod next to it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { importDemoImages } from '../support/images/demo-images.ts';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';

const kubectl = kubectlPath();
const skip = !kubectl ? 'kubectl is not installed' : (nodeAgentUnavailable() ?? false);

describe('security contexts, limits and bad input', { skip }, () => {
  let d: TestDaemon;
  let k: Kubectl;
  before(async () => {
    d = await startTestDaemon(undefined, { nodeAgent: true });
    await importDemoImages(d.daemon.agent!.images);
    k = new Kubectl(d.daemon.url, kubectl!);
    await k.ok(['run', 'healthy', '--image=busybox:1.36', '--', 'sleep', '3600']);
  });
  after(async () => {
    await d?.stop();
  });

  const get = (name: string, path: string): Promise<string> =>
    k.ok(['get', 'pod', name, '-o', `jsonpath=${path}`]);
  const waitFor = async (what: string, fn: () => Promise<boolean>, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const apply = (yaml: string): Promise<string> => k.ok(['apply', '-f', '-'], { input: yaml });

  test('user, groups, read-only root and dropped capabilities apply inside the container', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: secure
spec:
  restartPolicy: Never
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
  containers:
  - name: app
    image: busybox:1.36
    command: ['sh', '-c', 'id -u; id -g; id -G; touch /x 2>/dev/null && echo rw || echo ro; grep CapEff /proc/self/status']
    securityContext:
      readOnlyRootFilesystem: true
      capabilities:
        drop: ['ALL']
`);
    await waitFor(
      'Succeeded',
      async () => (await get('secure', '{.status.phase}')) === 'Succeeded',
    );
    const [uid, gid, groups, rw, caps] = (await k.ok(['logs', 'secure'])).trim().split('\n');
    assert.equal(uid, '1000');
    assert.equal(gid, '3000');
    assert.match(groups ?? '', /\b2000\b/);
    assert.equal(rw, 'ro');
    assert.match(caps ?? '', /CapEff:\s+0+$/);
  });

  test('runAsNonRoot with a root image is CreateContainerConfigError', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: nonroot
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: app
    image: busybox:1.36
    command: ['sleep', '3600']
`);
    await waitFor(
      'CreateContainerConfigError',
      async () =>
        (await get('nonroot', '{.status.containerStatuses[0].state.waiting.reason}')) ===
        'CreateContainerConfigError',
    );
    const msg = await get('nonroot', '{.status.containerStatuses[0].state.waiting.message}');
    assert.match(msg, /^container has runAsNonRoot and image will run as root/);
  });

  test('a memory limit the process exceeds ends in OOMKilled with exit code 137', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: ['sh', '-c', 'exec tail /dev/zero']
    resources:
      limits:
        memory: 20Mi
`);
    await waitFor('Failed', async () => (await get('hog', '{.status.phase}')) === 'Failed');
    assert.equal(
      await get('hog', '{.status.containerStatuses[0].state.terminated.reason}'),
      'OOMKilled',
    );
    assert.equal(
      await get('hog', '{.status.containerStatuses[0].state.terminated.exitCode}'),
      '137',
    );
    assert.equal(await get('hog', '{.status.qosClass}'), 'Burstable');
  });

  test('a hostPath of the wrong type is a FailedMount event; the pod waits', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: wrong-type
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ['sleep', '3600']
    volumeMounts:
    - { name: h, mountPath: /h }
  volumes:
  - name: h
    hostPath: { path: /etc/hostname, type: Directory }
`);
    await waitFor('FailedMount', async () =>
      (
        await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=wrong-type'])
      ).includes('FailedMount'),
    );
    const events = await k.ok(['describe', 'pod', 'wrong-type']);
    assert.match(
      events,
      /MountVolume\.SetUp failed for volume "h" : hostPath type check failed: \/etc\/hostname is not a directory/,
    );
    assert.equal(await get('wrong-type', '{.status.phase}'), 'Pending');
    assert.match(await k.ok(['get', 'pod', 'wrong-type']), /ContainerCreating/);
  });

  test('pod sysctls are set in the pod network namespace only', async () => {
    const host = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: tuned
spec:
  restartPolicy: Never
  securityContext:
    sysctls:
    - { name: net.ipv4.ip_unprivileged_port_start, value: "81" }
  containers:
  - name: app
    image: busybox:1.36
    command: ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']
`);
    await waitFor('Succeeded', async () => (await get('tuned', '{.status.phase}')) === 'Succeeded');
    assert.equal((await k.ok(['logs', 'tuned'])).trim(), '81');
    const after = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
    assert.equal(after, host);
  });

  test('the healthy pod next to them kept running throughout', async () => {
    assert.equal(await get('healthy', '{.status.phase}'), 'Running');
    assert.equal(await get('healthy', '{.status.containerStatuses[0].restartCount}'), '0');
  });
});

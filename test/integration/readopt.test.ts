/**
 * Containers outlive the daemon (issue 4): a daemon stopped while a pod runs, then a new
 * daemon on the same data directory, re-adopts the running containers from disk — same
 * container ids, no restarts, same pod IP — and still serves exec and logs for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { importDemoImages } from '../support/images/demo-images.ts';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';

const kubectl = kubectlPath();
const skip = !kubectl ? 'kubectl is not installed' : (nodeAgentUnavailable() ?? false);

describe('daemon restart with running pods', { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon(undefined, { nodeAgent: true });
    await importDemoImages(d.daemon.agent!.images);
  });
  after(async () => {
    await d?.stop();
  });

  test('a restarted daemon re-adopts running containers without restarting them', async () => {
    let k = new Kubectl(d.daemon.url, kubectl!);
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: survivor
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: busybox:1.36
    command: ['sh', '-c', 'echo started; exec sleep 3600']
  - name: b
    image: busybox:1.36
    command: ['sleep', '3600']
`;
    await k.ok(['apply', '-f', '-'], { input: manifest });
    await k.ok(['wait', '--for=condition=Ready', 'pod/survivor', '--timeout=60s']);
    const ids = await k.ok([
      'get',
      'pod',
      'survivor',
      '-o',
      'jsonpath={.status.containerStatuses[*].containerID}',
    ]);
    const ip = await k.ok(['get', 'pod', 'survivor', '-o', 'jsonpath={.status.podIP}']);
    await d.stopKeepingData();
    d = await startTestDaemon(d.dataDir, { nodeAgent: true });
    k = new Kubectl(d.daemon.url, kubectl!);
    await new Promise((r) => setTimeout(r, 3000)); // a few sync and relist rounds
    const json = JSON.parse(await k.ok(['get', 'pod', 'survivor', '-o', 'json'])) as {
      status: {
        podIP: string;
        containerStatuses: { containerID: string; restartCount: number; ready: boolean }[];
      };
    };
    assert.equal(json.status.containerStatuses.map((c) => c.containerID).join(' '), ids);
    assert.deepEqual(
      json.status.containerStatuses.map((c) => c.restartCount),
      [0, 0],
    );
    assert.deepEqual(
      json.status.containerStatuses.map((c) => c.ready),
      [true, true],
    );
    assert.equal(json.status.podIP, ip);
    assert.equal(
      (await k.ok(['exec', 'survivor', '-c', 'b', '--', 'hostname'])).trim(),
      'survivor',
    );
    assert.equal((await k.ok(['logs', 'survivor', '-c', 'a'])).trim(), 'started');
    await k.ok(['delete', 'pod', 'survivor', '--wait=true', '--timeout=60s']);
    assert.equal((await d.daemon.agent!.runtime.listContainers()).length, 0);
  });
});

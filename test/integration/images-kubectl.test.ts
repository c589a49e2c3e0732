/**
 * Images from a registry, driven by the real kubectl (issue 5): a pod whose image comes from a
 * local `docker-registry` runs and reports the repo digest as its imageID; a tag that does not
 * exist shows ErrImagePull, then ImagePullBackOff, with the registry's reason in the events,
 * and the pod starts on a later back-off once the tag is pushed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nodeAgentUnavailable } from '../../src/daemon/node-agent.ts';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.ts';

const kubectl = kubectlPath();
const skip = !kubectl
  ? 'kubectl is not installed'
  : (nodeAgentUnavailable() ?? registrySkipReason());

describe('images pulled from a registry', { skip }, () => {
  let d: TestDaemon;
  let k: Kubectl;
  let registry: TestRegistry;
  let privateRegistry: TestRegistry | undefined;

  before(async () => {
    registry = await startTestRegistry();
    await registry.pushBusybox('library/busybox', ['1.36']);
    d = await startTestDaemon(undefined, { nodeAgent: true });
    k = new Kubectl(d.daemon.url, kubectl!);
  });

  after(async () => {
    await d?.stop();
    await registry?.stop();
    await privateRegistry?.stop();
  });

  const pod = (name: string, image: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: app
    image: ${image}
    command: ['sleep', '3600']
`;
  const get = (name: string, path: string): Promise<string> =>
    k.ok(['get', 'pod', name, '-o', `jsonpath=${path}`]);
  const waitFor = async (what: string, fn: () => Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  test('a pod runs from a registry image and reports its repo digest', async () => {
    const image = `${registry.host}/library/busybox:1.36`;
    await k.ok(['apply', '-f', '-'], { input: pod('pulled', image) });
    await k.ok(['wait', '--for=condition=Ready', 'pod/pulled', '--timeout=60s']);
    const imageID = await get('pulled', '{.status.containerStatuses[0].imageID}');
    assert.match(imageID, new RegExp(`^${registry.host}/library/busybox@sha256:[0-9a-f]{64}$`));
    const events = await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=pulled']);
    assert.match(events, new RegExp(`Pulling image "${image}"`));
    assert.match(
      events,
      /Successfully pulled image .* in [\d.]+m?s \([\d.]+m?s including waiting\)\. Image size: \d+ bytes\./,
    );
  });

  test('a missing tag is ErrImagePull then ImagePullBackOff; pushing it lets the pod start', async () => {
    const image = `${registry.host}/library/busybox:later`;
    await k.ok(['apply', '-f', '-'], { input: pod('late', image) });
    const seen = new Set<string>();
    await waitFor('ImagePullBackOff', async () => {
      const reason = await get('late', '{.status.containerStatuses[0].state.waiting.reason}');
      seen.add(reason);
      return reason === 'ImagePullBackOff';
    });
    assert.ok(seen.has('ErrImagePull') || seen.has('ImagePullBackOff'));
    const table = await k.ok(['get', 'pod', 'late']);
    assert.match(table, /late\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s+0/);
    const describe = await k.ok(['describe', 'pod', 'late']);
    assert.match(
      describe,
      new RegExp(`Failed to pull image "${image}": .*${image.replace(/[.]/g, '\\.')}: not found`),
    );
    assert.match(describe, /Back-off pulling image/);
    await registry.pushBusybox('library/busybox', ['later']);
    await waitFor(
      'Running after the tag exists',
      async () => (await get('late', '{.status.phase}')) === 'Running',
      90_000,
    );
  });

  test(
    'a private registry works with an imagePullSecrets Secret and fails clearly without',
    {
      skip: registrySkipReason({ auth: true }),
    },
    async () => {
      privateRegistry = await startTestRegistry({ auth: { username: 'dev', password: 's3cret' } });
      await privateRegistry.pushBusybox('team/tools', ['1.36']);
      const image = `${privateRegistry.host}/team/tools:1.36`;
      await k.ok(['apply', '-f', '-'], { input: pod('no-secret', image) });
      await waitFor('ErrImagePull or back-off', async () =>
        ['ErrImagePull', 'ImagePullBackOff'].includes(
          await get('no-secret', '{.status.containerStatuses[0].state.waiting.reason}'),
        ),
      );
      const describe = await k.ok(['describe', 'pod', 'no-secret']);
      assert.match(
        describe,
        /Failed to pull image .*(401 Unauthorized|no basic auth credentials|authorization failed)/,
      );
      await k.ok([
      'create', 'secret', 'docker-registry', 'regcred',
      `--docker-server=${privateRegistry.host}`, '--docker-username=dev', '--docker-password=s3cret',
    ]); // prettier-ignore
      const withSecret = pod('with-secret', image).replace(
        'spec:\n',
        'spec:\n  imagePullSecrets:\n  - name: regcred\n',
      );
      await k.ok(['apply', '-f', '-'], { input: withSecret });
      await k.ok(['wait', '--for=condition=Ready', 'pod/with-secret', '--timeout=60s']);
    },
  );
});

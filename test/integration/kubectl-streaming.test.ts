/**
 * kubectl exec and port-forward through a real daemon's upgrade routing (issue 6 wiring):
 * the pod lookup and container checks of the daemon, then the streaming protocols, with a
 * stand-in node backend until the real runtime is wired.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';

const dispatcher = kubectlPath();

describe(
  'kubectl exec against podbay without a node agent',
  { skip: dispatcher ? false : 'kubectl is not installed' },
  () => {
    let d: TestDaemon;
    let k: Kubectl;
    before(async () => {
      d = await startTestDaemon();
      k = new Kubectl(d.daemon.url, dispatcher!);
      const dir = mkdtempSync(join(tmpdir(), 'podbay-stream-'));
      const p = join(dir, 'pod.yaml');
      writeFileSync(
        p,
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: busybox:1.36\n',
      );
      await k.ok(['apply', '-f', p]);
    });
    after(async () => {
      await d?.stop();
    });

    test('a missing pod is NotFound; a missing node agent is a clear error', async () => {
      let r = await k.run(['exec', 'nope', '--', 'true']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /pods "nope" not found/);
      r = await k.run(['exec', 'web', '--', 'true']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the node agent is not running/);
    });
  },
);

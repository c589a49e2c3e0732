/**
 * The real kubectl (1.33 through the dispatcher, and 1.30) against a real podbay daemon:
 * discovery, apply/create/get/describe/explain/label/annotate/patch/edit/delete on the seeds'
 * manifests, and kube-apiserver's errors for invalid objects (issue 2).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Kubectl, kubectlPath } from '../support/kubectl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';

const seeds = new URL('../fixtures/seeds/', import.meta.url).pathname;
const seedFiles = readdirSync(seeds)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const dispatcher = kubectlPath();
const skip = dispatcher ? false : 'kubectl is not installed';
const scratch = mkdtempSync(join(tmpdir(), 'podbay-manifests-'));

function manifest(name: string, text: string): string {
  const p = join(scratch, name);
  writeFileSync(p, text);
  return p;
}

describe('kubectl 1.33 against podbay', { skip }, () => {
  let d: TestDaemon;
  let k: Kubectl;
  before(async () => {
    d = await startTestDaemon();
    k = new Kubectl(d.daemon.url, dispatcher!);
  });
  after(async () => {
    await d?.stop();
  });

  test('version reports the v1.33 server and the dispatcher picks kubectl 1.33', async () => {
    const out = await k.ok(['version']);
    assert.match(out, /Client Version: v1\.33\./);
    assert.match(out, /Server Version: v1\.33\.0/);
  });

  test('api-resources lists the served kinds with short names', async () => {
    const out = await k.ok(['api-resources']);
    for (const re of [
      /^pods\s+po\s+v1\s+true\s+Pod$/m,
      /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^jobs\s+batch\/v1\s+true\s+Job$/m,
      /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m,
    ]) {
      assert.match(out, re);
    }
  });

  test('cluster-info names the control plane', async () => {
    assert.match(
      await k.ok(['cluster-info']),
      /Kubernetes control plane.* is running at .*http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  test('the system namespaces, the node and the kubernetes service exist', async () => {
    const ns = await k.ok(['get', 'ns', '-o', 'name']);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      assert.match(ns, new RegExp(`namespace/${n}$`, 'm'));
    assert.match(
      await k.ok(['get', 'nodes']),
      /^podbay-test\s+Ready\s+control-plane\s+\S+\s+v1\.33\.0$/m,
    );
    assert.match(
      await k.ok(['get', 'svc', 'kubernetes']),
      /^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/m,
    );
  });

  for (const file of seedFiles) {
    test(`apply -f ${file}: created, then not created again on re-apply`, async () => {
      const path = join(seeds, file);
      const first = await k.ok(['apply', '-f', path]);
      assert.match(first, / created$/m);
      const again = await k.ok(['apply', '-f', path]);
      assert.doesNotMatch(again, / created$/m);
      // kubectl prints "configured" when the live object has server-added list items the
      // manifest's lists lack (its $setElementOrder directives), exactly as on a cluster.
      assert.match(again, / (unchanged|configured)$/m);
      if (file === 'failed-multi-container-pod.yaml') {
        // It reuses multi-container-pod's name; make room for that seed.
        await k.ok(['delete', '-f', path, '--grace-period=0', '--force']);
      }
    });
  }

  test('re-applying an unchanged manifest prints unchanged', async () => {
    const p = manifest(
      'same.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: same\nspec:\n  containers:\n  - name: a\n    image: busybox:1.36\n',
    );
    assert.match(await k.ok(['apply', '-f', p]), /pod\/same created/);
    assert.match(await k.ok(['apply', '-f', p]), /pod\/same unchanged/);
  });

  test('get -o wide / yaml / json / jsonpath / --show-labels / -A', async () => {
    const wide = await k.ok(['get', 'pod', 'sidecar-pod', '-o', 'wide']);
    assert.match(
      wide,
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m,
    );
    assert.match(wide, /^sidecar-pod\s+0\/2\s+/m);
    const yaml = await k.ok(['get', 'pod', 'sidecar-pod', '-o', 'yaml']);
    for (const re of [
      /restartPolicy: Always/,
      /dnsPolicy: ClusterFirst/,
      /terminationGracePeriodSeconds: 30/,
      /imagePullPolicy: IfNotPresent/,
      /protocol: TCP/,
      /uid: [0-9a-f-]{36}/,
      /creationTimestamp: "\d{4}-/,
    ]) {
      assert.match(yaml, re);
    }
    const json = JSON.parse(await k.ok(['get', 'pod', 'sidecar-pod', '-o', 'json']));
    assert.equal(json.kind, 'Pod');
    assert.equal(json.spec.serviceAccountName, 'default');
    assert.equal(
      await k.ok(['get', 'pod', 'sidecar-pod', '-o', 'jsonpath={.spec.containers[*].name}']),
      'nginx log-reader',
    );
    assert.match(await k.ok(['get', 'pod', 'sidecar-pod', '--show-labels']), /app=sidecar-demo/);
    const all = await k.ok(['get', 'pods', '-A']);
    assert.match(all, /^NAMESPACE\s+NAME\s+READY\s+STATUS/m);
    assert.match(all, /^default\s+sidecar-pod\s+/m);
    assert.match(
      await k.ok(['get', 'svc']),
      /^myservice\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP/m,
    );
    assert.match(await k.ok(['get', 'deploy']), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    assert.match(await k.ok(['get', 'secret', 'themoviedb']), /^themoviedb\s+Opaque\s+1\s+/m);
  });

  test('describe pod shows its containers and events section', async () => {
    const out = await k.ok(['describe', 'pod', 'sidecar-pod']);
    assert.match(out, /^Name:\s+sidecar-pod$/m);
    assert.match(out, /^Namespace:\s+default$/m);
    assert.match(out, /log-reader:/);
    assert.match(out, /Port:\s+80\/TCP/);
    assert.match(out, /^Events:/m);
  });

  test('explain walks to pod.spec.initContainers.restartPolicy', async () => {
    const out = await k.ok(['explain', 'pod.spec.initContainers.restartPolicy']);
    assert.match(out, /KIND:\s+Pod/);
    assert.match(out, /FIELD:\s+restartPolicy <string>/);
  });

  test('label, annotate, patch (strategic, merge, json) and edit', async () => {
    await k.ok(['label', 'pod', 'sidecar-pod', 'tier=web']);
    await k.ok(['annotate', 'pod', 'sidecar-pod', 'note=hello']);
    assert.equal(
      await k.ok([
        'get',
        'pod',
        'sidecar-pod',
        '-o',
        'jsonpath={.metadata.labels.tier}/{.metadata.annotations.note}',
      ]),
      'web/hello',
    );
    await k.ok(['patch', 'configmap', 'fluentd-config-map', '-p', '{"data":{"a":"1"}}']);
    await k.ok([
      'patch',
      'configmap',
      'fluentd-config-map',
      '--type',
      'merge',
      '-p',
      '{"data":{"b":"2"}}',
    ]);
    await k.ok([
      'patch',
      'configmap',
      'fluentd-config-map',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/data/a","value":"3"}]',
    ]);
    assert.equal(
      await k.ok(['get', 'cm', 'fluentd-config-map', '-o', 'jsonpath={.data.a}{.data.b}']),
      '32',
    );
    await k.ok([
      'patch',
      'pod',
      'sidecar-pod',
      '-p',
      '{"spec":{"containers":[{"name":"log-reader","image":"busybox:1.37"}]}}',
    ]);
    assert.equal(
      await k.ok(['get', 'pod', 'sidecar-pod', '-o', 'jsonpath={.spec.containers[1].image}']),
      'busybox:1.37',
    );
    const out = await k.ok(['edit', 'cm', 'fluentd-config-map'], {
      env: { KUBE_EDITOR: `sed -i -e 's/^  b: "2"$/  b: "edited"/'` },
    });
    assert.match(out, /configmap\/fluentd-config-map edited/);
    assert.equal(
      await k.ok(['get', 'cm', 'fluentd-config-map', '-o', 'jsonpath={.data.b}']),
      'edited',
    );
  });

  test('apply after a change prints configured', async () => {
    const p = manifest(
      'cm.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  x: "1"\n',
    );
    assert.match(await k.ok(['apply', '-f', p]), /configmap\/applied created/);
    writeFileSync(
      p,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  x: "2"\n',
    );
    assert.match(await k.ok(['apply', '-f', p]), /configmap\/applied configured/);
    assert.equal(await k.ok(['get', 'cm', 'applied', '-o', 'jsonpath={.data.x}']), '2');
  });

  test('apply --server-side creates and updates, with managed fields', async () => {
    const p = manifest(
      'ssa.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  x: "1"\n',
    );
    assert.match(
      await k.ok(['apply', '--server-side', '-f', p]),
      /configmap\/ssa serverside-applied/,
    );
    writeFileSync(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  z: "2"\n');
    await k.ok(['apply', '--server-side', '-f', p]);
    const json = JSON.parse(
      await k.ok(['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields']),
    );
    assert.deepEqual(json.data, { z: '2' });
    assert.ok(
      json.metadata.managedFields.some(
        (m: { manager: string; operation: string }) =>
          m.manager === 'kubectl' && m.operation === 'Apply',
      ),
    );
  });

  test('create -f, then AlreadyExists', async () => {
    const p = manifest(
      'create.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: created\ndata:\n  x: "1"\n',
    );
    assert.match(await k.ok(['create', '-f', p]), /configmap\/created created/);
    const r = await k.run(['create', '-f', p]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Error from server \(AlreadyExists\): error when creating ".*create\.yaml": configmaps "created" already exists/,
    );
  });

  test('kubectl create <generator> (protobuf bodies) works', async () => {
    assert.match(
      await k.ok(['create', 'configmap', 'gen-cm', '--from-literal=a=1']),
      /configmap\/gen-cm created/,
    );
    assert.match(
      await k.ok(['create', 'deployment', 'gen-deploy', '--image=nginx:1.27']),
      /deployment.apps\/gen-deploy created/,
    );
    assert.equal(
      await k.ok([
        'get',
        'deploy',
        'gen-deploy',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]),
      'nginx:1.27',
    );
  });

  test('invalid objects get kube-apiserver errors', async () => {
    const unknown = manifest(
      'unknown.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: a\n    imagee: busybox\n',
    );
    let r = await k.run(['apply', '-f', unknown]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /strict decoding error: unknown field "spec\.containers\[0\]\.imagee"/);
    const noImage = manifest(
      'noimage.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: inv\nspec:\n  containers:\n  - name: a\n',
    );
    r = await k.run(['apply', '-f', noImage]);
    assert.match(
      r.stderr,
      /The Pod "inv" is invalid: spec\.containers\[0\]\.image: Required value/,
    );
    const dup = manifest(
      'dup.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: dup\nspec:\n  initContainers:\n  - name: a\n    image: busybox\n  containers:\n  - name: a\n    image: busybox\n',
    );
    r = await k.run(['apply', '-f', dup]);
    assert.match(r.stderr, /spec\.containers\[0\]\.name: Duplicate value: "a"/);
    const rp = manifest(
      'rp.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: rp\nspec:\n  containers:\n  - name: a\n    image: busybox\n    restartPolicy: Always\n',
    );
    r = await k.run(['apply', '-f', rp]);
    assert.match(
      r.stderr,
      /The Pod "rp" is invalid: spec\.containers\[0\]\.restartPolicy: Forbidden/,
    );
    const upper = manifest(
      'upper.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Upper\n',
    );
    r = await k.run(['apply', '-f', upper]);
    assert.match(
      r.stderr,
      /metadata\.name: Invalid value: "Upper": a lowercase RFC 1123 subdomain/,
    );
    r = await k.run(['get', 'pod', 'nope']);
    assert.match(r.stderr, /Error from server \(NotFound\): pods "nope" not found/);
  });

  test('get -w streams changes', async () => {
    const child = spawn(
      k.binary,
      ['--kubeconfig', k.kubeconfig, 'get', 'cm', '-w', '--output-watch-events'],
      { env: { PATH: process.env['PATH'] ?? '', HOME: k.home } },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const waitFor = async (re: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(out, re);
    };
    await waitFor(/ADDED\s+kube-root-ca\.crt/);
    const watched = manifest(
      'watched.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\n',
    );
    await k.ok(['apply', '-f', watched]);
    await waitFor(/ADDED\s+watched/);
    await k.ok(['delete', 'cm', 'watched']);
    await waitFor(/DELETED\s+watched/);
    child.kill();
  });

  test('delete by name, -f, --all, and --grace-period=0 --force', async () => {
    assert.match(await k.ok(['delete', 'cm', 'created']), /configmap "created" deleted/);
    assert.match(
      await k.ok(['delete', '-f', join(seeds, 'myservice-mydb.yaml')]),
      /service "myservice" deleted\nservice "mydb" deleted/,
    );
    const r = await k.run(['delete', 'pod', 'web', '--grace-period=0', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /pod "web" force deleted/);
    // Deployments own ReplicaSets own pods: delete the owners, let the garbage collector act.
    await k.ok(['delete', 'deployments', '--all']);
    for (let i = 0; i < 100 && (await k.ok(['get', 'rs', '-o', 'name'])) !== ''; i++) {
      await new Promise((res) => setTimeout(res, 100));
    }
    await k.ok(['delete', 'pods', '--all']);
    assert.match((await k.run(['get', 'pods'])).stderr, /No resources found in default namespace/);
  });

  test('deleting a namespace removes its content, then the namespace', async () => {
    const ns = manifest(
      'doomed.yaml',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: doomed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: doomed\n',
    );
    await k.ok(['apply', '-f', ns]);
    assert.match(await k.ok(['delete', 'namespace', 'doomed']), /namespace "doomed" deleted/);
    const r = await k.run(['get', 'ns', 'doomed']);
    assert.match(r.stderr, /namespaces "doomed" not found/);
  });
});

describe(
  'kubectl 1.30 against podbay',
  { skip: kubectlPath('1.30') ? false : 'kubectl 1.30 is not installed' },
  () => {
    let d: TestDaemon;
    let k: Kubectl;
    before(async () => {
      d = await startTestDaemon();
      k = new Kubectl(d.daemon.url, kubectlPath('1.30')!);
    });
    after(async () => {
      await d?.stop();
    });

    test('apply, get, describe and delete work', async () => {
      const path = join(seeds, 'sidecar-pod.yaml');
      assert.match(await k.ok(['apply', '-f', path]), /pod\/sidecar-pod created/);
      assert.match(await k.ok(['get', 'pods']), /^sidecar-pod\s+0\/2\s+/m);
      assert.match(await k.ok(['describe', 'pod', 'sidecar-pod']), /^Name:\s+sidecar-pod$/m);
      assert.match(await k.ok(['explain', 'deployment.spec.replicas']), /replicas/);
      assert.match(await k.ok(['delete', '-f', path]), /pod "sidecar-pod" deleted/);
    });
  },
);

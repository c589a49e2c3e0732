import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiFixture } from '../api/testing/api-fixture.ts';
import type { Pod } from '../k8s/types/pod.ts';
import { instanceToRead, podLogHandler, resolveContainer } from './pod-logs.ts';

const line = (s: number, text: string): string =>
  `2026-01-01T00:00:0${s}.000000001Z stdout F ${text}\n`;

async function body(res: { res: { body?: unknown } }): Promise<string> {
  let s = '';
  for await (const c of res.res.body as AsyncIterable<Buffer>) s += c.toString();
  return s;
}

test('pods/log serves the current and previous instance with kube-apiserver errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podbay-podlogs-'));
  const holder: { f?: Awaited<ReturnType<typeof apiFixture>> } = {};
  const handler = podLogHandler({
    podLogsDir: dir,
    getPod: (ns, name) => holder.f?.store.get('pods', ns, name),
  });
  const f = (holder.f = await apiFixture(undefined, undefined, { log: handler }));
  const pod = (
    await f.call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'web' },
      spec: {
        initContainers: [{ name: 'init', image: 'b' }],
        containers: [
          { name: 'app', image: 'b' },
          { name: 'side', image: 'b' },
        ],
      },
    })
  ).json;
  await f.call(
    'PATCH',
    '/api/v1/namespaces/default/pods/web/status',
    {
      status: {
        containerStatuses: [
          {
            name: 'app',
            restartCount: 1,
            ready: true,
            image: 'b',
            imageID: '',
            state: { running: {} },
            lastState: { terminated: { exitCode: 1 } },
          },
          {
            name: 'side',
            restartCount: 0,
            ready: false,
            image: 'b',
            imageID: '',
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      },
    },
    { 'content-type': 'application/merge-patch+json' },
  );
  const base = join(dir, `default_web_${pod.metadata.uid}`, 'app');
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, '0.log'), line(1, 'old-1') + line(2, 'old-2'));
  writeFileSync(join(base, '1.log'), line(3, 'new-1') + line(4, 'new-2'));

  assert.equal(
    await body(await f.call('GET', '/api/v1/namespaces/default/pods/web/log?container=app')),
    'new-1\nnew-2\n',
  );
  assert.equal(
    await body(
      await f.call('GET', '/api/v1/namespaces/default/pods/web/log?container=app&previous=true'),
    ),
    'old-1\nold-2\n',
  );
  assert.equal(
    await body(
      await f.call(
        'GET',
        '/api/v1/namespaces/default/pods/web/log?container=app&tailLines=1&timestamps=true',
      ),
    ),
    '2026-01-01T00:00:04.000000001Z new-2\n',
  );
  const none = await f.call('GET', '/api/v1/namespaces/default/pods/web/log');
  assert.equal(none.status, 400);
  assert.equal(
    none.json.message,
    'a container name must be specified for pod web, choose one of: [app side] or one of the init containers: [init]',
  );
  const wrong = await f.call('GET', '/api/v1/namespaces/default/pods/web/log?container=nope');
  assert.equal(wrong.json.message, 'container nope is not valid for pod web');
  const prev = await f.call(
    'GET',
    '/api/v1/namespaces/default/pods/web/log?container=side&previous=true',
  );
  assert.equal(prev.json.message, 'previous terminated container "side" in pod "web" not found');
  const waiting = await f.call('GET', '/api/v1/namespaces/default/pods/web/log?container=side');
  assert.equal(
    waiting.json.message,
    'container "side" in pod "web" is waiting to start: ContainerCreating',
  );
  f.close();
});

test('without a container name, the only regular container is chosen even beside init ones', () => {
  const pod = {
    metadata: { name: 'p' },
    spec: { initContainers: [{ name: 'i', image: 'b' }], containers: [{ name: 'a', image: 'b' }] },
  } as unknown as Pod;
  assert.equal(resolveContainer(pod, null), 'a');
  assert.equal(resolveContainer(pod, 'i'), 'i');
  assert.throws(() => resolveContainer(pod, 'x'), /container x is not valid for pod p/);
});

test('the instance read follows the status, as the kubelet picks the container ID', () => {
  const st = (restartCount: number, state: object, last?: object) =>
    ({
      name: 'c',
      restartCount,
      state,
      ...(last ? { lastState: { terminated: last } } : {}),
    }) as never;
  // Running attempt 2: current is 2, previous the one before.
  assert.equal(instanceToRead(st(2, { running: {} }, { exitCode: 1 }), false), 2);
  assert.equal(instanceToRead(st(2, { running: {} }, { exitCode: 1 }), true), 1);
  // Back-off after attempt 3 died: both read attempt 3 (lastState.terminated).
  assert.equal(instanceToRead(st(3, { waiting: {} }, { exitCode: 1 }), false), 3);
  assert.equal(instanceToRead(st(3, { waiting: {} }, { exitCode: 1 }), true), 3);
  // Never restarted: no previous instance.
  assert.equal(instanceToRead(st(0, { running: {} }), true), undefined);
  assert.equal(instanceToRead(undefined, false), 0);
});

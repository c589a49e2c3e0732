/**
 * Micro-benchmark of the SQLite store: median latency of get, create, update, guaranteedUpdate,
 * delete, list pages and watch fan-out, on a temp file (WAL) with realistic Pod-sized objects.
 * Run: node --import tsx bench/store.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/k8s/types/meta.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';

/** Median of a sample. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** 99th percentile of a sample. */
function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)]!;
}

/** A Pod of roughly 1.5 KB of JSON. */
function pod(i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace: 'default',
      uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      labels: { app: 'web', tier: i % 2 ? 'front' : 'back', 'pod-template-hash': '5d8f9c7b6' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(300) },
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
          env: [{ name: 'MODE', value: 'production' }],
        },
      ],
      restartPolicy: 'Always',
      nodeName: 'podbay',
    },
    status: {
      phase: 'Running',
      podIP: '10.88.0.5',
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

function time(n: number, fn: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out.push((performance.now() - t) * 1000);
  }
  return out;
}

function report(label: string, us: number[]): void {
  console.log(
    `${label.padEnd(34)} median ${median(us).toFixed(1).padStart(8)} µs   p99 ${p99(us).toFixed(1).padStart(8)} µs`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'podbay-store-bench-'));
try {
  const store = new SqliteStore(join(dir, 'state.db'));
  const n = 5000;
  report(
    `create (${n}, file, WAL)`,
    time(n, (i) => store.create('pods', pod(i))),
  );
  report(
    'get',
    time(n, (i) => store.get('pods', 'default', `web-${i}`)),
  );
  report(
    'update',
    time(n, (i) => store.update('pods', { ...pod(i), status: { phase: 'Succeeded' } })),
  );
  report(
    'guaranteedUpdate',
    time(n, (i) =>
      store.guaranteedUpdate('pods', 'default', `web-${i}`, (cur) => ({
        ...cur,
        metadata: { ...cur.metadata, generation: 2 },
      })),
    ),
  );
  report(
    'list limit=500 (of 5000)',
    time(50, () => store.list('pods', { limit: 500 })),
  );
  report(
    'list labelSelector, limit=500',
    time(50, () => store.list('pods', { limit: 500, labelSelector: 'tier=front' })),
  );
  report(
    'list all 5000',
    time(10, () => store.list('pods')),
  );

  const delays: number[] = [];
  let sentAt = 0;
  const watchers = Array.from({ length: 100 }, (_, k) =>
    store.watch(
      'pods',
      {
        resourceVersion: store.currentResourceVersion(),
        ...(k % 2 ? { labelSelector: 'app=web' } : {}),
      },
      () => {
        delays.push((performance.now() - sentAt) * 1000);
      },
    ),
  );
  report(
    'update with 100 watchers',
    time(1000, (i) => {
      sentAt = performance.now();
      store.update('pods', { ...pod(i), status: { phase: 'Failed' } });
    }),
  );
  report('watch delivery (100 watchers)', delays);
  for (const w of watchers) w.stop();
  report(
    'delete',
    time(n, (i) => store.delete('pods', 'default', `web-${i}`)),
  );
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

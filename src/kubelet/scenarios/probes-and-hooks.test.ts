/** Scenarios L09, L11 (lifecycle-scenarios.md §B) on the in-process node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h, hook, probeLog, startSim, stateOf, statusOf } from '../testing/scenario-sim.ts';

test('L09: a startup-probe failure kills the container after its preStop; Never: no restart', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'l09' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          h(
            'app',
            { D: 100, T: 5 },
            {
              startupProbe: {
                exec: { command: ['sh', '-c', 'exit 1'] },
                initialDelaySeconds: 5,
                periodSeconds: 1,
                failureThreshold: 1,
              },
              lifecycle: { preStop: hook({ N: 'PreStop-app', D: 1 }) },
            },
          ),
        ],
      },
    });
    await sim.run(40);
    const dPre = sim.T('PreStop-app', 'Starting')! - sim.T('app', 'Starting')!;
    assert.ok(dPre >= 4.5 && dPre <= 8, `preStop after ${dPre}`);
    assert.ok(sim.at('PreStop-app', 'Exiting') < sim.at('app', 'TermReceived'));
    const linger = sim.T('app', 'Exiting')! - sim.T('app', 'TermReceived')!;
    assert.ok(linger >= 4.5 && linger <= 7, `linger ${linger}`);
    assert.equal(sim.count('app', 'Starting'), 1);
    const pod = await sim.get('l09');
    assert.equal(pod?.status?.phase, 'Succeeded');
    assert.equal(stateOf(pod, 'app'), 'term(0, Completed)');
    assert.equal(statusOf(pod, 'app')?.started, false);
    const events = await sim.events();
    assert.ok(events.includes('Unhealthy: Startup probe failed: '), events.join('\n'));
    // v1.33: with no other regular container to keep, computePodActions turns the probe kill
    // into a pod kill (KillPod), whose Killing event is the generic one; the scenario text's
    // `Container app failed startup probe` is what a pod with another running container gets.
    assert.ok(events.includes('Killing: Stopping container app'), events.join('\n'));
    assert.ok(!events.some((e) => e.includes('will be restarted')));
    for (const s of sim.samples) assert.notEqual(s.ready, '1/1');
    const statuses = sim.statuses();
    assert.ok(statuses.includes('Running') && statuses.at(-1) === 'Completed', statuses.join());
  } finally {
    await sim.stop();
  }
});

test('L11: readiness probes keep running during preStop, liveness probes do not', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'l11' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 100,
        containers: [
          h(
            'app',
            { D: 100, T: 15 },
            {
              livenessProbe: {
                exec: probeLog('Liveness-app', 1),
                initialDelaySeconds: 10,
                periodSeconds: 1,
                failureThreshold: 1,
              },
              readinessProbe: {
                exec: probeLog('Readiness-app', 0),
                initialDelaySeconds: 1,
                periodSeconds: 1,
              },
              lifecycle: { preStop: hook({ N: 'PreStop-app', D: 10 }) },
            },
          ),
        ],
      },
    });
    await sim.until(
      'Succeeded',
      async () => (await sim.get('l11'))?.status?.phase === 'Succeeded',
      60,
    );
    const from = sim.at('PreStop-app', 'Started');
    const to = sim.at('PreStop-app', 'Exiting');
    assert.ok(from >= 0 && to > from);
    const during = sim.node.runtime.log.slice(from, to);
    assert.ok(during.filter((l) => l.name === 'Readiness-app').length >= 3);
    assert.equal(during.filter((l) => l.name === 'Liveness-app').length, 0);
    assert.equal(sim.count('app', 'Starting'), 1);
    assert.equal(stateOf(await sim.get('l11'), 'app'), 'term(0, Completed)');
  } finally {
    await sim.stop();
  }
});

test('a probe kill while another regular container runs: Killing names the probe; Never: no restart', async () => {
  const sim = await startSim();
  try {
    await sim.create({
      metadata: { name: 'two' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          h(
            'app',
            { D: 'forever', T: 1 },
            {
              startupProbe: {
                exec: { command: ['sh', '-c', 'exit 1'] },
                periodSeconds: 1,
                failureThreshold: 2,
              },
              lifecycle: { preStop: hook({ N: 'PreStop-app', D: 1 }) },
            },
          ),
          h('web', { D: 'forever' }),
        ],
      },
    });
    await sim.run(10);
    const events = await sim.events();
    assert.ok(events.includes('Killing: Container app failed startup probe'), events.join('\n'));
    assert.ok(sim.at('PreStop-app', 'Exiting') < sim.at('app', 'TermReceived'));
    assert.equal(sim.count('app', 'Starting'), 1);
    assert.equal(sim.count('web', 'TermReceived'), 0);
    const pod = await sim.get('two');
    assert.equal(stateOf(pod, 'app'), 'term(0, Completed)');
    assert.equal(stateOf(pod, 'web'), 'run');
    assert.equal(pod?.status?.phase, 'Running');
    assert.equal(sim.samples.at(-1)?.status, 'NotReady');
  } finally {
    await sim.stop();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertInterfaceName,
  bridgeBatch,
  hostSideBatch,
  ipInNetns,
  plugBatch,
  podSideBatch,
  vethNameFor,
} from './ip-commands.ts';

test('vethNameFor is stable, distinct per sandbox and fits IFNAMSIZ', () => {
  const a = vethNameFor('sandbox-a');
  assert.match(a, /^pb[0-9a-f]{10}$/);
  assert.equal(vethNameFor('sandbox-a'), a);
  assert.notEqual(vethNameFor('sandbox-b'), a);
  assert.ok(vethNameFor('x'.repeat(200)).length <= 15);
});

test('assertInterfaceName rejects what the kernel would', () => {
  assertInterfaceName('podbay0');
  assert.throws(() => assertInterfaceName('a-very-long-bridge-name'), /invalid interface name/);
  assert.throws(() => assertInterfaceName('br 0'), /invalid interface name/);
  assert.throws(() => assertInterfaceName(''), /invalid interface name/);
});

test('ipInNetns uses ip -n for /run/netns names and nsenter for other paths', () => {
  assert.deepEqual(ipInNetns('/run/netns/pod1'), { cmd: 'ip', args: ['-n', 'pod1'] });
  assert.deepEqual(ipInNetns('/proc/42/ns/net'), {
    cmd: 'nsenter',
    args: ['--net=/proc/42/ns/net', 'ip'],
  });
});

test('batch scripts', () => {
  assert.equal(
    bridgeBatch({ bridge: 'podbay0', gateway: '10.244.0.1', prefix: 16 }),
    'addr replace 10.244.0.1/16 dev podbay0\n' +
      'link set podbay0 type bridge nf_call_iptables 1\n' +
      'link set podbay0 up\n',
  );
  assert.equal(
    hostSideBatch({ veth: 'pb0123456789', bridge: 'podbay0', netnsPath: '/run/netns/p' }),
    'link add pb0123456789 type veth peer name eth0 netns /run/netns/p\n' +
      'link set pb0123456789 master podbay0\n' +
      'link set pb0123456789 type bridge_slave hairpin on\n' +
      'link set pb0123456789 up\n',
  );
  assert.equal(
    plugBatch({ veth: 'pb0123456789', bridge: 'podbay0' }),
    'link set pb0123456789 master podbay0\n' +
      'link set pb0123456789 type bridge_slave hairpin on\n' +
      'link set pb0123456789 up\n',
  );
  assert.equal(
    podSideBatch({ ip: '10.244.0.7', prefix: 16, gateway: '10.244.0.1' }),
    'link set lo up\n' +
      'addr replace 10.244.0.7/16 dev eth0\n' +
      'link set eth0 up\n' +
      'route replace default via 10.244.0.1 dev eth0\n',
  );
});

import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { primaryHostIP } from './host-ip.ts';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/24`,
});
const v6: NetworkInterfaceInfo = {
  address: 'fd00::2',
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '00:00:00:00:00:00',
  internal: false,
  cidr: 'fd00::2/64',
  scopeid: 0,
};

test('primaryHostIP skips loopback, IPv6 and our own interfaces', () => {
  const ifaces = {
    lo: [v4('127.0.0.1', true)],
    podbay0: [v4('10.244.0.1')],
    eth0: [v6, v4('192.0.2.2')],
    eth1: [v4('198.51.100.2')],
  };
  assert.equal(
    primaryHostIP((n) => n === 'podbay0', ifaces),
    '192.0.2.2',
  );
});

test('primaryHostIP falls back to 127.0.0.1', () => {
  assert.equal(
    primaryHostIP(() => false, { lo: [v4('127.0.0.1', true)], eth0: [v6] }),
    '127.0.0.1',
  );
});

test('primaryHostIP on this machine is an IPv4 address', () => {
  assert.match(
    primaryHostIP(() => false),
    /^\d+\.\d+\.\d+\.\d+$/,
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertTableName, podNetworkRuleset } from './nft-ruleset.ts';

test('the ruleset replaces its own table atomically and masquerades pod egress', () => {
  const text = podNetworkRuleset({ table: 'podbay', cidr: '10.244.0.0/16' });
  const lines = text.split('\n').map((l) => l.trim());
  assert.deepEqual(lines.slice(0, 3), [
    'table ip podbay',
    'delete table ip podbay',
    'table ip podbay {',
  ]);
  assert.ok(lines.includes('ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 masquerade'));
  assert.ok(lines.includes('meta mark & 0x4000 == 0x4000 masquerade'));
  assert.ok(lines.includes('ip saddr 10.244.0.0/16 accept'));
  assert.ok(lines.includes('ip daddr 10.244.0.0/16 accept'));
  assert.ok(lines.includes('type nat hook postrouting priority srcnat; policy accept;'));
  assert.ok(lines.includes('type filter hook forward priority filter; policy accept;'));
  // The Services hook: an empty map, consulted from prerouting and output.
  assert.ok(lines.includes('ip daddr . meta l4proto . th dport vmap @service-ips'));
  assert.equal(lines.filter((l) => l === 'jump services').length, 2);
  assert.ok(!text.includes('elements'));
  assert.equal(lines.at(-2), '}');
});

test('service rules go into the map and as extra chains', () => {
  const text = podNetworkRuleset({
    table: 'podbay',
    cidr: '10.244.0.0/16',
    services: {
      elements: ['10.96.0.10 . tcp . 80 : goto svc-a', '10.96.0.11 . udp . 53 : goto svc-b'],
      chains: ['chain svc-a { meta l4proto tcp dnat to 10.244.0.2:8080; }'],
    },
  });
  assert.match(
    text,
    /elements = \{ 10\.96\.0\.10 \. tcp \. 80 : goto svc-a,\n\s+10\.96\.0\.11 \. udp \. 53 : goto svc-b \}/,
  );
  assert.match(text, /\n {2}chain svc-a \{ meta l4proto tcp dnat to 10\.244\.0\.2:8080; \}\n\}\n$/);
});

test('table names are checked', () => {
  assertTableName('podbay');
  assertTableName('pbt-12');
  assert.throws(() => assertTableName('1abc'), /invalid nftables table name/);
  assert.throws(() => assertTableName('a b'), /invalid nftables table name/);
  assert.throws(() => podNetworkRuleset({ table: 'x;y', cidr: '10.0.0.0/8' }));
});

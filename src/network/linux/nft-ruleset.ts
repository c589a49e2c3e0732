/**
 * The project-owned nftables table for the pod network, as one text loaded atomically with
 * `nft -f -`. The leading `table` + `delete table` makes loading it idempotent (the table is
 * replaced, never duplicated). Contents:
 * - `nat-postrouting`: masquerade pod traffic leaving for non-pod destinations, and anything
 *   carrying {@link MASQUERADE_MARK} (what Service endpoint chains will set for hairpin).
 * - `forward`: accept traffic from or to the pod CIDR. Note: an accept here does not override a
 *   drop in another table's forward chain (e.g. an iptables FORWARD policy of DROP).
 * - The Services hook: an empty `service-ips` verdict map consulted by the `services` chain,
 *   jumped to from prerouting and output. A later issue fills it via `services`.
 */

/** Packet mark asking `nat-postrouting` to masquerade (hairpin traffic through a Service). */
export const MASQUERADE_MARK = 0x4000;

/** Service entries to load with the table: map elements and the chains they jump to. */
export interface ServiceRules {
  /** `service-ips` elements, e.g. `10.96.0.10 . tcp . 80 : goto svc-abc`. */
  elements: string[];
  /** Whole chain definitions, e.g. `chain svc-abc { … }`. */
  chains: string[];
}

/** Options for {@link podNetworkRuleset}. */
export interface RulesetOptions {
  table: string;
  /** Pod CIDR, e.g. `10.244.0.0/16`. */
  cidr: string;
  services?: ServiceRules;
}

/** Table names nft accepts unquoted. */
export function assertTableName(name: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,30}$/.test(name)) {
    throw new Error(`invalid nftables table name ${JSON.stringify(name)}`);
  }
}

/** The full ruleset text for `nft -f -`. */
export function podNetworkRuleset(o: RulesetOptions): string {
  assertTableName(o.table);
  const mark = `0x${MASQUERADE_MARK.toString(16)}`;
  const elements = o.services?.elements ?? [];
  const lines = [
    `table ip ${o.table}`,
    `delete table ip ${o.table}`,
    `table ip ${o.table} {`,
    '  map service-ips {',
    '    type ipv4_addr . inet_proto . inet_service : verdict',
    ...(elements.length > 0 ? [`    elements = { ${elements.join(',\n      ')} }`] : []),
    '  }',
    '  chain services {',
    '    ip daddr . meta l4proto . th dport vmap @service-ips',
    '  }',
    '  chain nat-prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    jump services',
    '  }',
    '  chain nat-output {',
    '    type nat hook output priority -100; policy accept;',
    '    jump services',
    '  }',
    '  chain nat-postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    meta mark & ${mark} == ${mark} masquerade`,
    `    ip saddr ${o.cidr} ip daddr != ${o.cidr} masquerade`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    ip saddr ${o.cidr} accept`,
    `    ip daddr ${o.cidr} accept`,
    '  }',
    ...(o.services?.chains ?? []).map((c) => `  ${c}`),
    '}',
    '',
  ];
  return lines.join('\n');
}

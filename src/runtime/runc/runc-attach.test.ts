import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocatDumpParser } from './runc-attach.ts';

const dump = [
  '2026/12/05 13:28:48 socat[1] N starting data transfer loop with FDs [0,1] and [5,5]',
  '> 2026/12/05 13:28:48.000811626  length=6 from=0 to=5',
  ' 68 65 6c 6c 6f 0a',
  '< 2026/12/05 13:28:48.000816165  length=11 from=0 to=10',
  ' 02 6f 75 74 3a 68 65',
  ' 6c 6c 6f 0a',
  '--',
  '< 2026/12/05 13:28:48.000816253  length=3 from=11 to=13',
  ' 03 65 0a',
  '< 2026/12/05 13:28:48.000816300  length=1 from=14 to=14',
  ' 02',
  '2026/12/05 13:28:48 socat[1] N socket 2 (fd 5) is at EOF',
  '',
].join('\n');

test('the socat dump parser yields whole incoming packets, however the text is split', () => {
  for (const size of [1, 7, 64, dump.length]) {
    const packets: string[] = [];
    const other: string[] = [];
    const p = new SocatDumpParser(
      (b) => packets.push(b.toString('latin1')),
      (l) => other.push(l),
    );
    for (let i = 0; i < dump.length; i += size) p.push(dump.slice(i, i + size));
    assert.deepEqual(packets, ['\x02out:hello\n', '\x03e\n', '\x02']);
    assert.equal(other.length, 2);
    assert.match(other[0]!, /starting data transfer loop/);
    assert.match(other[1]!, /socket 2 \(fd 5\) is at EOF/);
  }
});

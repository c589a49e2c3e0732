import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiHandler } from '../api/http-types.ts';
import { readBody } from '../client/transport.ts';
import { inProcessTransport } from './in-process-transport.ts';

test('the handler sees its request end as an AbortError once the body is read', async () => {
  let signal: AbortSignal | undefined;
  const handler: ApiHandler = (req) => {
    signal = req.signal;
    return Promise.resolve({ status: 200, headers: {}, body: `${req.method} ${req.path}` });
  };
  const res = await inProcessTransport(handler)({ method: 'GET', path: '/x?a=1', headers: {} });
  assert.equal(signal?.aborted, false);
  assert.equal(await readBody(res.body), 'GET /x');
  assert.equal(signal?.aborted, true);
  assert.equal((signal?.reason as Error).name, 'AbortError');
});

test("a caller's abort reaches the handler with the caller's reason", async () => {
  let signal: AbortSignal | undefined;
  const handler: ApiHandler = (req) => {
    signal = req.signal;
    return Promise.resolve({ status: 200, headers: {}, body: 'x' });
  };
  const caller = new AbortController();
  await inProcessTransport(handler)({
    method: 'GET',
    path: '/',
    headers: {},
    signal: caller.signal,
  });
  const why = new Error('caller gave up');
  caller.abort(why);
  assert.equal(signal?.reason, why);
});

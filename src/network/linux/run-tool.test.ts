import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTool, ToolError, toolFailedWith } from './run-tool.ts';

test('runTool returns stdout and feeds stdin', async () => {
  assert.equal(await runTool('cat', [], { input: 'abc' }), 'abc');
  assert.equal(await runTool('echo', ['x']), 'x\n');
});

test('runTool rejects with the argv, exit code and stderr', async () => {
  const err = await runTool('sh', ['-c', 'echo Cannot find device >&2; exit 3']).catch(
    (e: unknown) => e,
  );
  assert.ok(err instanceof ToolError);
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /^sh -c .* exited 3: Cannot find device$/);
  assert.ok(toolFailedWith(err, /Cannot find device/));
  assert.ok(!toolFailedWith(new Error('Cannot find device'), /Cannot find device/));
  await assert.rejects(runTool('/nonexistent/tool', []), ToolError);
});

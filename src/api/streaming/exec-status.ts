/**
 * The status an exec or attach reports at the end (channel 3 over WebSocket, the `error` stream
 * over SPDY): a `metav1.Status` JSON for protocol v4+, plain text before that.
 */

/** How the command ended. */
export type ExecOutcome =
  { kind: 'exited'; exitCode: number } | { kind: 'failed'; message: string };

/** The Status object kubectl reads to learn the exit code. */
export function execStatus(outcome: ExecOutcome, command: string[], isAttach: boolean): object {
  if (outcome.kind === 'exited' && (outcome.exitCode === 0 || isAttach))
    return { metadata: {}, status: 'Success' };
  if (outcome.kind === 'exited') {
    const code = outcome.exitCode;
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
    };
  }
  return {
    metadata: {},
    status: 'Failure',
    message: outcome.message,
    reason: 'InternalError',
    code: 500,
  };
}

/** The bytes to send on the error channel for a protocol version; empty means send nothing. */
export function encodeExecStatus(
  outcome: ExecOutcome,
  command: string[],
  isAttach: boolean,
  protocolVersion: number,
): Buffer {
  const status = execStatus(outcome, command, isAttach) as { status: string; message?: string };
  if (protocolVersion >= 4) return Buffer.from(JSON.stringify(status));
  return status.status === 'Success' ? Buffer.alloc(0) : Buffer.from(status.message ?? 'error');
}

/** Thrown when an invariant of podbay's own code does not hold: a bug, not a condition to handle. */
export class BugError extends Error {
  override name = 'BugError';
}

/** Asserts an invariant; throws {@link BugError} with `message` when it does not hold. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BugError(message);
}

/** Marks a value that must be impossible (exhaustive switches). */
export function unreachable(value: never, message = 'Unreachable'): never {
  throw new BugError(`${message}: ${JSON.stringify(value)}`);
}

/**
 * The list read path: resolves which revision to serve (newest, an exact past one rebuilt from
 * the change log, or a continue token's snapshot), then pages through objects in key order with
 * selectors applied.
 */
import { BadRequestError, GoneError, TimeoutError } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { buildObjectFilter, type ObjectFilter } from './object-filter.ts';
import { namespaceKeyRange } from './resource-key.ts';
import type { ObjectRow, Statements } from './sqlite-schema.ts';
import type { StoreListOptions, StoreListResult } from './store.ts';

/** The store state a list needs. */
export interface ListContext {
  statements: Statements;
  currentRv: number;
  compactedRv: number;
}

const expiredList = 'The resourceVersion for the provided list is too old.';
const inconsistentContinue =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** A 410 for a compacted continue token, carrying a token that resumes at the newest revision. */
export class ExpiredContinueError extends GoneError {
  override name = 'ExpiredContinueError';
  constructor(readonly continueToken: string) {
    super(inconsistentContinue);
  }

  override toStatus(): ReturnType<GoneError['toStatus']> {
    const status = super.toStatus();
    return { ...status, metadata: { ...status.metadata, continue: this.continueToken } };
  }
}

/** Parses a resourceVersion parameter; throws BadRequestError when it is not a revision. */
export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv)))
    throw new BadRequestError(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

/** Resolves the revision to serve and the key to start after. */
function resolveRevision(
  ctx: ListContext,
  options: StoreListOptions,
): { rv: number; start: string } {
  const current = ctx.currentRv;
  const requested = options.resourceVersion ?? '';
  if (options.continue) {
    if (requested !== '' && requested !== '0')
      throw new BadRequestError('specifying resource version is not allowed when using continue');
    const token = decodeContinue(options.continue);
    if (token.rv === -1) return { rv: current, start: token.start };
    if (token.rv > current)
      throw new BadRequestError('invalid continue token: resource version is in the future');
    if (token.rv < ctx.compactedRv)
      throw new ExpiredContinueError(encodeContinue({ rv: -1, start: token.start }));
    return { rv: token.rv, start: token.start };
  }
  if (requested === '' || requested === '0') return { rv: current, start: '' };
  const rv = parseResourceVersion(requested);
  if (rv > current)
    throw new TimeoutError(`Too large resource version: ${rv}, current: ${current}`);
  if (options.resourceVersionMatch === 'Exact') {
    if (rv < ctx.compactedRv) throw new GoneError(expiredList);
    return { rv, start: '' };
  }
  return { rv: current, start: '' };
}

/** Rows at a past revision: current rows with changes since `rv` undone via the log's `prev`. */
function snapshotRows(
  ctx: ListContext,
  resource: string,
  rv: number,
  rows: Iterable<ObjectRow>,
  inRange: (key: string) => boolean,
): ObjectRow[] {
  const undo = new Map<string, string | null>();
  for (const c of ctx.statements.firstChangesSince.iterate(rv, resource)) {
    if (inRange(c.key)) undo.set(c.key, c.type === 'ADDED' ? null : c.prev);
  }
  const out: ObjectRow[] = [];
  for (const row of rows) {
    if (!undo.has(row.key)) out.push(row);
  }
  for (const [key, data] of undo) if (data !== null) out.push({ key, data });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Lists one page of a resource. */
export function listObjects(
  ctx: ListContext,
  resource: string,
  options: StoreListOptions,
): StoreListResult {
  const filter: ObjectFilter = buildObjectFilter(options, false);
  const { rv, start } = resolveRevision(ctx, options);
  const s = ctx.statements;
  const ns = options.namespace ? namespaceKeyRange(options.namespace) : undefined;
  const after = ns && ns.after > start ? ns.after : start;
  const before = ns?.before;
  const inRange = (key: string): boolean => key > after && (before === undefined || key < before);
  const current = (): Iterable<ObjectRow> =>
    before === undefined
      ? s.rangeOpen.iterate(resource, after)
      : s.range.iterate(resource, after, before);
  const rows =
    rv === ctx.currentRv ? current() : snapshotRows(ctx, resource, rv, current(), inRange);

  const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
  const items: KubeObject[] = [];
  let lastKey = '';
  let more = false;
  for (const row of rows) {
    if (items.length >= limit) {
      more = true;
      break;
    }
    const obj = JSON.parse(row.data) as KubeObject;
    lastKey = row.key;
    if (!filter || filter(obj)) items.push(obj);
  }
  const result: StoreListResult = { items, resourceVersion: String(rv) };
  if (more) {
    result.continue = encodeContinue({ rv, start: lastKey });
    if (!filter)
      result.remainingItemCount = countAfter(ctx, resource, rv, lastKey, before, inRange);
  }
  return result;
}

/** How many objects follow `lastKey` in the range at revision `rv`. */
function countAfter(
  ctx: ListContext,
  resource: string,
  rv: number,
  lastKey: string,
  before: string | undefined,
  inRange: (key: string) => boolean,
): number {
  const s = ctx.statements;
  if (rv === ctx.currentRv) {
    return before === undefined
      ? s.countRangeOpen.get(resource, lastKey)!.n
      : s.countRange.get(resource, lastKey, before)!.n;
  }
  const rows =
    before === undefined
      ? s.rangeOpen.iterate(resource, lastKey)
      : s.range.iterate(resource, lastKey, before);
  return snapshotRows(ctx, resource, rv, rows, (k) => k > lastKey && inRange(k)).length;
}

/**
 * Watch: newline-delimited JSON events streamed from the store, replayed from the client's
 * resourceVersion, filtered by namespace and selectors, as Tables when asked, with bookmarks
 * when asked and the `timeoutSeconds` deadline honoured. Ends when the client goes away.
 */
import { GoneError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { Clock } from '../../lib/clock.ts';
import type { StoreEvent } from '../../store/store.ts';
import type { ApiRequest, ApiResponse } from '../http-types.ts';
import type { Registry } from '../registry/registry.ts';
import { includeObjectOf, wantsTable, type TableRenderer } from './negotiation.ts';

/** How often a bookmark is sent to watchers that allow them. */
export const bookmarkIntervalMs = 15_000;

/** Options a watch needs from the server. */
export interface WatchDeps {
  clock: Clock;
  renderTable: TableRenderer;
  /** Upper bound for a watch without timeoutSeconds (upstream: 30–60 min). */
  maxWatchSeconds?: number;
}

type Line = string;

/** Serves a watch request on `registry` in `namespace` ('' = all). */
export function serveWatch(
  req: ApiRequest,
  registry: Registry,
  namespace: string,
  deps: WatchDeps,
): ApiResponse {
  const q = req.query;
  const table = wantsTable(req);
  const includeObject = includeObjectOf(req);
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  const sendInitialEvents = q.get('sendInitialEvents') === 'true';
  let rv = q.get('resourceVersion') ?? '';
  if (sendInitialEvents) rv = '';
  const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0) || deps.maxWatchSeconds || 3600;
  const def = registry.def;
  let firstTable = true;

  const encode = (type: string, object: KubeObject): Line => {
    if (!table || type === 'BOOKMARK' || type === 'ERROR')
      return JSON.stringify({ type, object }) + '\n';
    const t = deps.renderTable(def, [object], {
      now: deps.clock.now(),
      includeObject,
      noHeaders: !firstTable,
    });
    firstTable = false;
    return JSON.stringify({ type, object: t }) + '\n';
  };

  const queue: Line[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const push = (line: Line): void => {
    queue.push(line);
    wake?.();
  };
  const finish = (): void => {
    done = true;
    wake?.();
  };

  let lastRv = rv;
  const onEvent = (ev: StoreEvent): void => {
    lastRv = ev.object.metadata.resourceVersion ?? lastRv;
    push(encode(ev.type, ev.object));
  };

  const bookmark = (extra?: Record<string, string>): void => {
    push(
      encode('BOOKMARK', {
        kind: def.kind,
        apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
        metadata: {
          resourceVersion: lastRv || registry.currentResourceVersion(),
          ...(extra ? { annotations: extra } : {}),
        },
      }),
    );
  };

  let stop = (): void => undefined;
  try {
    const options = {
      ...(namespace ? { namespace } : {}),
      ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}),
      ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
      fieldsOf: registry.fieldsOf,
      resourceVersion: rv,
    };
    const w = registry.watchStore(options, onEvent);
    stop = () => w.stop();
  } catch (err: unknown) {
    if (err instanceof GoneError) {
      // Upstream answers an expired watch with 200 and one ERROR event carrying the 410 Status.
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'ERROR', object: err.toStatus() }) + '\n',
      };
    }
    throw err;
  }
  if (sendInitialEvents && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });

  const cancelTimeout = deps.clock.setTimer(timeoutSeconds * 1000, finish);
  let cancelBookmark = (): void => undefined;
  const scheduleBookmark = (): void => {
    cancelBookmark = deps.clock.setTimer(bookmarkIntervalMs, () => {
      bookmark();
      scheduleBookmark();
    });
  };
  if (bookmarks) scheduleBookmark();
  const onAbort = (): void => finish();
  req.signal.addEventListener('abort', onAbort, { once: true });

  async function* stream(): AsyncGenerator<string> {
    try {
      for (;;) {
        if (queue.length) {
          const batch = queue.splice(0, queue.length).join('');
          yield batch;
          continue;
        }
        if (done) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      stop();
      cancelTimeout();
      cancelBookmark();
      req.signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      'cache-control': 'no-cache, private',
    },
    body: stream(),
  };
}

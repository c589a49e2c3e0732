/**
 * The abort reason of a request that ended (its response was sent or its client went away).
 * `AbortController.abort()` without a reason builds a new DOMException, stack trace included,
 * for every request; with the daemon's own components making several in-process requests per
 * pod sync, that showed in profiles. An `AbortError` like the one it replaces, made once.
 */
export const requestEnded: Error = Object.assign(new Error('the request ended'), {
  name: 'AbortError',
});

import type { ServerResponse } from 'node:http';

const OPENED_AT = Symbol('eventStreamOpenedAt');

interface Marked {
  [OPENED_AT]?: bigint;
}

/**
 * Marks a response as a long-lived event stream (text/event-stream) whose headers were just sent.
 * A stream lasts as long as its client follows it, and usually ends with the client closing it:
 * the HTTP metrics time it to this point (what a client waits for before events can flow), not to
 * its end, which would read as a slow request, and count and log one its client closed as
 * answered, not as aborted.
 */
export function markEventStream(response: ServerResponse): void {
  (response as Marked)[OPENED_AT] = process.hrtime.bigint();
}

/** When markEventStream marked `response` (process.hrtime.bigint()), or undefined. */
export function eventStreamOpenedAt(response: ServerResponse): bigint | undefined {
  return (response as Marked)[OPENED_AT];
}

import type { Response } from 'express';
import { once } from 'node:events';
import { markEventStream } from '../common/http/event-stream';
import { TaskEvent, TaskEventFilter, taskEventJson } from '../execution/task-events.service';

/** The events after which a task's own stream ends (README, "Following a task"). */
export const TERMINAL_EVENT_TYPES: readonly string[] = [
  'task.completed',
  'task.failed',
  'task.cancelled',
];

/**
 * How long a client waits before it reconnects (the SSE `retry:` field) after the stream ended
 * without the task's terminal event: cut off, or its process stopping. Short, since the
 * reconnection resumes exactly where it stopped (Last-Event-ID).
 */
export const RECONNECT_AFTER_MS = 1000;

/** One event in the text/event-stream format: its id, its type as the event name, its JSON. */
export function sseFrame(event: TaskEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(taskEventJson(event))}\n\n`;
}

/**
 * Who opened a stream, and with what: the stream ends when that stops meaning what it meant
 * (TaskEventHub), as every request would then be refused or answered otherwise.
 */
export interface StreamCaller {
  userId: string;
  /** SHA-256 (hex) of the API key it was opened with; null for an access token. */
  keyHash: string | null;
  /** When the access token or API key it was opened with expires (ms since the epoch), if ever. */
  expiresAt: number | null;
}

export interface StreamLimits {
  keepAliveMs: number;
  maxBufferBytes: number;
}

/** What a stream tells its owner (the hub) about its end. */
export interface StreamEnds {
  /** The response closed, for whatever reason; called once. */
  closed(stream: TaskEventStream): void;
  /** The stream was cut off: its client did not read and its output passed the bound. */
  cut(stream: TaskEventStream): void;
}

/**
 * One open text/event-stream response: the events of one owner after `lastId` that match its
 * filter (one task's, or the owner's narrowed by status and task type). `lastId` is the id of the
 * last event it has seen, written or filtered out, so no event is written twice however it is
 * offered (caught up from the table, fanned out live). Its output waiting for the client is
 * bounded: past maxBufferBytes the connection is cut, never buffered without end.
 */
export class TaskEventStream {
  /** Set as soon as the stream must not be written any more (ended, cut, or closed by the client). */
  closed = false;
  /** Whether it answered 200 and streams (open()). */
  opened = false;
  private keepAlive?: NodeJS.Timeout;
  private expiry?: NodeJS.Timeout;

  constructor(
    private readonly response: Response,
    readonly ownerId: string,
    readonly filter: TaskEventFilter,
    /** The last event id seen: Last-Event-ID, or where the stream starts. */
    public lastId: number,
    private readonly limits: StreamLimits,
    private readonly ends: StreamEnds,
    readonly caller: StreamCaller,
  ) {
    response.once('close', () => {
      this.closed = true;
      clearInterval(this.keepAlive);
      clearTimeout(this.expiry);
      ends.closed(this);
    });
  }

  /** Whether this is the stream of one task (which ends after its terminal event). */
  get ofTask(): boolean {
    return 'taskId' in this.filter;
  }

  /**
   * Sends the headers and the reconnection delay. No proxy may buffer or cache the stream
   * (X-Accel-Buffering for nginx); a comment line every keepAliveMs keeps idle connections open.
   */
  open(): void {
    this.opened = true;
    const response = this.response;
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    markEventStream(response);
    this.write(`retry: ${RECONNECT_AFTER_MS}\n\n`);
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), this.limits.keepAliveMs);
    // A credential that expires ends its stream: the client reconnects with a fresh one.
    if (this.caller.expiresAt !== null) {
      this.expiry = setTimeout(() => this.end(), Math.max(0, this.caller.expiresAt - Date.now()));
    }
  }

  /**
   * A finished task's stream whose events the client has all seen: 204, which tells EventSource
   * clients to stop reconnecting.
   */
  nothingMore(): void {
    this.closed = true;
    this.response.status(204).end();
  }

  /**
   * Offers an event (and its frame, built once for every stream): written when it is new to this
   * stream and matches its filter. Answers whether it was written. A task's stream ends after the
   * task's terminal event.
   */
  offer(event: TaskEvent, frame: string): boolean {
    return this.offerAll([{ event, frame }]) > 0;
  }

  /**
   * Offers events in id order, as offer() does one, in one write (a write per event to every
   * stream is what costs when many streams follow a busy user). Answers how many were written.
   */
  offerAll(events: readonly { event: TaskEvent; frame: string }[]): number {
    let text = '';
    let written = 0;
    let terminal = false;
    for (const { event, frame } of events) {
      if (this.closed || terminal || event.id <= this.lastId) continue;
      this.lastId = event.id;
      if (!this.matches(event)) continue;
      text += frame;
      written += 1;
      terminal = this.ofTask && TERMINAL_EVENT_TYPES.includes(event.type);
    }
    if (written === 0 || !this.write(text)) return 0;
    if (terminal) this.end();
    return written;
  }

  /** Resolves once the client has read what is buffered (or the stream closed). */
  async drained(): Promise<void> {
    if (this.closed || !this.response.writableNeedDrain) return;
    await Promise.race([once(this.response, 'drain'), once(this.response, 'close')]);
  }

  /** Ends the response after what is written (the task's end, the process stopping). */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    clearTimeout(this.expiry);
    this.response.end();
  }

  /** Ends the response at once, dropping what was not sent (a failure while catching up). */
  abort(): void {
    this.closed = true;
    clearInterval(this.keepAlive);
    clearTimeout(this.expiry);
    this.response.destroy();
  }

  private matches(event: TaskEvent): boolean {
    const filter = this.filter;
    if ('taskId' in filter) return event.taskId === filter.taskId;
    return (
      (filter.status === undefined || event.status === filter.status) &&
      (filter.taskType === undefined || event.taskType === filter.taskType)
    );
  }

  /**
   * Writes, or cuts the connection when the client has left more than maxBufferBytes of earlier
   * output unread (the kernel's socket buffers are full by then): the client reconnects with
   * Last-Event-ID. What waits for a client is so bounded by maxBufferBytes and one event. Answers
   * whether the text was written.
   */
  private write(text: string): boolean {
    if (this.closed) return false;
    if (this.response.writableLength > this.limits.maxBufferBytes) {
      this.abort();
      this.ends.cut(this);
      return false;
    }
    this.response.write(text);
    return true;
  }
}

import { createParser, EventSourceMessage } from 'eventsource-parser';
import { EventEmitter } from 'node:events';
import { IncomingHttpHeaders, IncomingMessage, request } from 'node:http';
import type supertest from 'supertest';

/** An event of a stream as sent: its id, name and parsed data. */
export interface StreamedEvent {
  id: number;
  event: string;
  data: {
    taskId: string;
    type: string;
    at: string;
    status: string;
    attempt?: number;
    data?: Record<string, unknown>;
  };
}

const WAIT_MS = 20_000;

/**
 * A client of one text/event-stream response (README, "Following a task"), read with
 * eventsource-parser as it arrives: its events, comments and retry hint, and its end.
 */
export class EventStreamClient {
  readonly events: StreamedEvent[] = [];
  readonly comments: string[] = [];
  retry?: number;
  /** Whether the server ended the response (or the connection closed). */
  ended = false;
  private readonly emitter = new EventEmitter();

  private constructor(
    private readonly response: IncomingMessage,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    /** The body of an answer that is not a stream (problem details, 204). */
    readonly body: () => string,
  ) {}

  /** GETs `url` with the access token (and more headers); resolves once the headers arrived. */
  static open(
    url: string,
    token: string,
    headers: Record<string, string> = {},
  ): Promise<EventStreamClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', ...headers },
      });
      req.on('error', reject);
      req.on('response', (response) => {
        let text = '';
        const client = new EventStreamClient(
          response,
          response.statusCode ?? 0,
          response.headers,
          () => text,
        );
        const parser = createParser({
          onEvent: (message: EventSourceMessage) => {
            const event: StreamedEvent = {
              id: Number(message.id),
              event: message.event ?? 'message',
              data: JSON.parse(message.data) as StreamedEvent['data'],
            };
            client.events.push(event);
            client.emitter.emit('event');
          },
          onComment: (comment) => {
            client.comments.push(comment);
            client.emitter.emit('event');
          },
          onRetry: (retry) => (client.retry = retry),
        });
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          parser.feed(chunk);
        });
        const ended = () => {
          client.ended = true;
          client.emitter.emit('event');
        };
        response.on('end', ended);
        response.on('close', ended);
        resolve(client);
      });
      req.end();
    });
  }

  /** The id of the last event received (for Last-Event-ID). */
  get lastId(): number {
    return this.events.at(-1)?.id ?? 0;
  }

  /** Resolves once `done` holds (checked at every event, comment and at the end). */
  until(done: (client: this) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (done(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.emitter.off('event', check);
        reject(new Error(`the stream gave no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!done(this)) return;
        clearTimeout(timer);
        this.emitter.off('event', check);
        resolve();
      };
      this.emitter.on('event', check);
    });
  }

  /** Resolves with the first event (received or to come) that matches. */
  async event(match: (event: StreamedEvent) => boolean, what: string): Promise<StreamedEvent> {
    await this.until((c) => c.events.some(match), what);
    return this.events.find(match)!;
  }

  /** Resolves once the server has ended the stream. */
  end(timeoutMs = WAIT_MS): Promise<void> {
    return this.until((c) => c.ended, 'end', timeoutMs);
  }

  close(): void {
    this.response.destroy();
  }
}

/** Whether an answer is an event stream (which lasts as long as its client follows it). */
export function isEventStream(headers: IncomingHttpHeaders): boolean {
  return String(headers['content-type'] ?? '').startsWith('text/event-stream');
}

/**
 * A supertest request that resolves as soon as an event stream has opened (closing it: it would
 * not end by itself), with an empty body; any other answer is read to its end and its JSON body
 * parsed, as usual. For the tests that call every route (the route walk, the fuzzer).
 */
export function untilStreamOpens(test: supertest.Test): supertest.Test {
  return test.buffer(true).parse((res, callback) => {
    const response = res as unknown as IncomingMessage;
    if (isEventStream(response.headers)) {
      response.destroy();
      callback(null, {});
      return;
    }
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => {
      try {
        callback(null, JSON.parse(text));
      } catch {
        callback(null, {});
      }
    });
  });
}

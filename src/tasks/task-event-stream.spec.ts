import type { Response } from 'express';
import { EventEmitter } from 'node:events';
import { StreamCaller, TaskEventStream } from './task-event-stream';

/** The parts of an Express response a stream uses, recording what was written. */
function fakeResponse() {
  const response = Object.assign(new EventEmitter(), {
    written: [] as string[],
    ended: false,
    writableLength: 0,
    writableNeedDrain: false,
    status: () => response,
    setHeader: () => undefined,
    flushHeaders: () => undefined,
    write: (text: string) => response.written.push(text) > 0,
    end: () => {
      response.ended = true;
      response.emit('close');
    },
    destroy: () => response.end(),
  });
  return response;
}

const LIMITS = { keepAliveMs: 60_000, maxBufferBytes: 1024 };
const ends = { closed: () => undefined, cut: () => undefined };

function open(caller: StreamCaller) {
  const response = fakeResponse();
  const stream = new TaskEventStream(
    response as unknown as Response,
    'owner',
    {},
    0,
    LIMITS,
    ends,
    caller,
  );
  stream.open();
  return { response, stream };
}

describe('TaskEventStream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ends when the access token it was opened with expires', () => {
    const { response } = open({ userId: 'u', keyHash: null, expiresAt: Date.now() + 5_000 });
    jest.advanceTimersByTime(4_999);
    expect(response.ended).toBe(false);
    jest.advanceTimersByTime(1);
    expect(response.ended).toBe(true);
  });

  it('goes on past any time when opened with an API key that never expires', () => {
    const { response } = open({ userId: 'u', keyHash: 'ab', expiresAt: null });
    jest.advanceTimersByTime(24 * 3600_000);
    expect(response.ended).toBe(false);
  });

  it('writes the events read together in one write, each once, in order', () => {
    const { response, stream } = open({ userId: 'u', keyHash: null, expiresAt: null });
    const event = (id: number) => ({
      event: {
        id,
        ownerId: 'owner',
        taskId: 't',
        type: 'task.progress',
        status: 'in_progress',
        taskType: 'x',
        attempt: 1,
        data: null,
        at: new Date(0),
      },
      frame: `frame ${id}\n\n`,
    });
    const before = response.written.length;
    expect(stream.offerAll([event(1), event(2), event(3)])).toBe(3);
    expect(stream.offerAll([event(2), event(3), event(4)])).toBe(1);
    expect(response.written.slice(before)).toEqual([
      'frame 1\n\nframe 2\n\nframe 3\n\n',
      'frame 4\n\n',
    ]);
  });
});

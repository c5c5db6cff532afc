import { DeadlineExceededError, settledWithin, withDeadline } from './deadline';

describe('withDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('answers what the promise answers in time', async () => {
    await expect(withDeadline(Promise.resolve('PONG'), 1000, 'ping')).resolves.toBe('PONG');
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000, 'ping')).rejects.toThrow(
      'refused',
    );
  });

  it('rejects with a DeadlineExceededError naming the call when the promise is late', async () => {
    const never = new Promise<string>(() => undefined);
    const answer = withDeadline(never, 1000, 'Redis PING');
    jest.advanceTimersByTime(1000);
    await expect(answer).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(answer).rejects.toThrow('Redis PING did not answer within 1000 ms');
  });

  it('leaves no timer behind once the promise settled', async () => {
    await withDeadline(Promise.resolve(1), 1000, 'x');
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('settledWithin', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('answers true for a promise that settles in time, resolved or rejected', async () => {
    await expect(settledWithin(Promise.resolve('closed'), 1000)).resolves.toBe(true);
    await expect(settledWithin(Promise.reject(new Error('refused')), 1000)).resolves.toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('answers false once the time is up for a promise still pending', async () => {
    const answer = settledWithin(new Promise(() => undefined), 1000);
    jest.advanceTimersByTime(1000);
    await expect(answer).resolves.toBe(false);
  });
});

import { SharedResult } from './shared-result';

describe('SharedResult', () => {
  let clock: number;
  const now = () => clock;

  beforeEach(() => {
    clock = 1_000;
  });

  function deferred<T>() {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  it('runs the work once for callers that arrive while it runs', async () => {
    const pending = deferred<string>();
    const work = jest.fn(() => pending.promise);
    const shared = new SharedResult(work, 0, now);
    const calls = [shared.get(), shared.get(), shared.get()];
    pending.resolve('up');
    expect(await Promise.all(calls)).toEqual(['up', 'up', 'up']);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('reuses a settled outcome within the TTL and runs the work again after it', async () => {
    let runs = 0;
    const shared = new SharedResult(async () => `run ${++runs}`, 500, now);
    expect(await shared.get()).toBe('run 1');
    clock += 499;
    expect(await shared.get()).toBe('run 1');
    clock += 1;
    expect(await shared.get()).toBe('run 2');
  });

  it('shares a failure like a success, and tries again once its TTL is over', async () => {
    let fail = true;
    const work = jest.fn(async () => {
      if (fail) throw new Error('database down');
      return 'up';
    });
    const shared = new SharedResult(work, 100, now);
    await expect(shared.get()).rejects.toThrow('database down');
    await expect(shared.get()).rejects.toThrow('database down');
    expect(work).toHaveBeenCalledTimes(1);
    fail = false;
    clock += 100;
    await expect(shared.get()).resolves.toBe('up');
  });

  it('with a TTL of 0, runs the work again for every caller after it settled', async () => {
    const work = jest.fn(async () => 'up');
    const shared = new SharedResult(work, 0, now);
    await shared.get();
    await shared.get();
    expect(work).toHaveBeenCalledTimes(2);
  });
});

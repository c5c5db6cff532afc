/**
 * Runs `work` for many callers as if once: callers that arrive while it runs, or within `ttlMs`
 * after it settled, get that same outcome (a rejection included) instead of running it again.
 * With ttlMs 0, only callers that arrive while it runs share it.
 */
export class SharedResult<T> {
  private current: { promise: Promise<T>; settledAt?: number } | undefined;

  constructor(
    private readonly work: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    const current = this.current;
    if (
      current &&
      (current.settledAt === undefined || this.now() - current.settledAt < this.ttlMs)
    ) {
      return current.promise;
    }
    const entry: { promise: Promise<T>; settledAt?: number } = { promise: this.work() };
    const settle = () => {
      entry.settledAt = this.now();
    };
    entry.promise.then(settle, settle);
    this.current = entry;
    return entry.promise;
  }
}

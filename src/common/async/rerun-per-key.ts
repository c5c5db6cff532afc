/**
 * Runs work one key at a time: a call while the key's run is under way does not start another
 * beside it but makes that run go once more when it ends (and resolves with it), so whatever the
 * call announced is seen. The work answers true when it knows there is more to do at once. A
 * failure is handed to `failed` and ends the run.
 */
export class RerunPerKey {
  private readonly runs = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(private readonly failed: (error: unknown, key: string) => void) {}

  /** Runs `work` for `key`, again while asked to and `goOn()` allows (a stopping process). */
  run(key: string, work: () => Promise<boolean | void>, goOn: () => boolean): Promise<void> {
    const current = this.runs.get(key);
    if (current) {
      current.again = true;
      return current.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          if ((await work()) === true) entry.again = true;
        } while (entry.again && goOn());
      } catch (error) {
        this.failed(error, key);
      } finally {
        this.runs.delete(key);
      }
    })();
    this.runs.set(key, entry);
    return entry.done;
  }

  /** Settles once every run under way has ended. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.runs.values()].map((entry) => entry.done));
  }
}

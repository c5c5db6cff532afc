import { settledWithin } from './deadline';

/**
 * Work run every `intervalMs` (a timer that keeps no process alive), never two runs at once: a
 * run slower than the interval is not stacked on by the next one. `work` handles its own errors.
 */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.work().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Stops the timer and waits up to `waitMs` for a run under way: false when it was still running
   * then (it is left behind, not cancelled).
   */
  async stop(waitMs: number): Promise<boolean> {
    clearInterval(this.timer);
    this.timer = undefined;
    return !this.running || settledWithin(this.running, waitMs);
  }
}

/** The label value that stands for every value past the cap. */
export const OTHER_LABEL_VALUE = 'other';

/**
 * Caps the distinct values of a label whose values come from users (a task's type), so a metric
 * cannot grow without bound: the first `max` values seen keep a series of their own, later ones
 * share the series "other". The cap is per process; values are never forgotten while it runs.
 */
export class BoundedLabelValues {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER_LABEL_VALUE;
    this.seen.add(value);
    return value;
  }
}

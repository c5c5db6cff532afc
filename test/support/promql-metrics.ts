/**
 * The metric names a PromQL expression reads, for checking that dashboards and alerts name only
 * metrics a service exports. Not a PromQL parser (promtool checks the syntax): it drops what is
 * not a name (strings, label matchers, label lists, ranges, numbers, Grafana variables) and then
 * sorts the words left into functions, keywords and metric names. A word called like a function
 * that PromQL has no function of that name throws, so typos do not pass as metrics.
 */

/** PromQL functions and aggregation operators (Prometheus 2.x and 3.x). */
const FUNCTIONS = new Set(
  `abs absent absent_over_time acos acosh asin asinh atan atanh avg avg_over_time bottomk ceil
  changes clamp clamp_max clamp_min cos cosh count count_over_time count_values day_of_month
  day_of_week day_of_year days_in_month deg delta deriv double_exponential_smoothing end exp floor
  group histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev
  histogram_stdvar histogram_sum holt_winters hour idelta increase info irate label_join
  label_replace last_over_time limit_ratio limitk ln log10 log2 mad_over_time max max_over_time min
  min_over_time minute month pi predict_linear present_over_time quantile quantile_over_time rad
  rate resets round scalar sgn sin sinh sort sort_by_label sort_by_label_desc sort_desc sqrt start
  stddev stddev_over_time stdvar stdvar_over_time sum sum_over_time tan tanh time timestamp topk
  vector year`.split(/\s+/),
);

/** Keywords and literals that stand on their own. */
const KEYWORDS = new Set(
  'and or unless atan2 bool offset group_left group_right by without on ignoring inf nan'.split(
    ' ',
  ),
);

const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;

export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  // {__name__="x"} names a metric inside a string.
  for (const [, name] of expr.matchAll(/__name__\s*=\s*["'`]([a-zA-Z_:][\w:]*)["'`]/g)) {
    names.add(name);
  }
  const words = expr
    .replace(STRING, ' ')
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries: [5m], [$__rate_interval], [1h:5m]
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1 ') // label lists
    .replace(/\$\{[^}]*\}|\$\w+/g, ' '); // Grafana variables
  for (const match of words.matchAll(/(?<![\w.$:])[a-zA-Z_:][\w:]*/g)) {
    const word = match[0];
    if (KEYWORDS.has(word)) continue;
    const called = /^\s*\(/.test(words.slice(match.index + word.length));
    if (called && !FUNCTIONS.has(word)) {
      throw new Error(`Unknown PromQL function ${word} in: ${expr}`);
    }
    // An aggregation before its by/without clause (sum by (le) (...)) is not followed by "(".
    if (!FUNCTIONS.has(word)) names.add(word);
  }
  return [...names].sort();
}

/**
 * The names a /metrics scrape serves, from its # TYPE lines: a histogram serves name_bucket,
 * name_sum and name_count (never the bare name), a summary name, name_sum and name_count.
 */
export function servedNames(scrape: string): Set<string> {
  const served = new Set<string>();
  for (const [, name, type] of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) served.add(`${name}${suffix}`);
    } else if (type === 'summary') {
      for (const suffix of ['', '_sum', '_count']) served.add(`${name}${suffix}`);
    } else {
      served.add(name);
    }
  }
  return served;
}

/** The family a served name belongs to: a histogram's name_bucket is the histogram name. */
export function familyOf(name: string, scrape: string): string {
  const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (histogram && new RegExp(`^# TYPE ${histogram[1]} (histogram|summary)$`, 'm').test(scrape)) {
    return histogram[1];
  }
  return name;
}

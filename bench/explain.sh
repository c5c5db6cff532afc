#!/usr/bin/env bash
# EXPLAIN (ANALYZE, BUFFERS) of the statements behind the task list (first page, total, page 5,000
# by cursor, skip=500000), its filters, the admin list and the audit list, on the benchmark's
# seeded data (bench/seed-database.ts: an owner of 1,000,000 tasks, 500,000 audit rows), then checks
# that no plan reads tasks or audit_logs with a sequential scan, except where the statement's answer
# is most of the table (there, reading it in order is what any index would do, only slower). Exits 1
# if one does.
#
#   bash bench/explain.sh                  seeds a fresh database, explains, drops it
#   set -a; source <(npx ts-node -T bench/seed-database.ts); set +a; bash bench/explain.sh
#                                          explains on a database seeded earlier (kept)
#
# The statements: bench/lib/explain-script.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  seeded=$(mktemp)
  npx ts-node -T bench/seed-database.ts >"$seeded"
  # shellcheck disable=SC1090
  source "$seeded"
  rm -f "$seeded"
  export DATABASE_URL BENCH_LARGE_ID BENCH_SMALL_ID BENCH_LARGE_AGENT_ID BENCH_LARGE_SIDE_AGENT_ID
  drop() {
    psql -X -q "${BENCH_ADMIN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
      -c "DROP DATABASE IF EXISTS \"${DATABASE_URL##*/}\" WITH (FORCE)" >/dev/null
  }
  trap drop EXIT
fi
: "${BENCH_LARGE_ID:?}" "${BENCH_SMALL_ID:?}"

script=$(npx ts-node -T bench/lib/explain-script.ts)
output=$(psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<<"$script")
echo "$output"

# Sections whose plan reads tasks or audit_logs sequentially for less than half of its rows.
rows=$(psql -X -At -F ' ' "$DATABASE_URL" \
  -c "SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN ('tasks', 'audit_logs')")
sequential=$(awk -v sizes="$rows" '
  BEGIN { n = split(sizes, f, /[ \n]/); for (i = 1; i < n; i += 2) size[f[i]] = f[i + 1] }
  /^=== / { label = substr($0, 5) }
  /Seq Scan on (tasks|audit_logs) / {
    match($0, /Seq Scan on [a-z_]+/); table = substr($0, RSTART + 12, RLENGTH - 12)
    match($0, /actual time=[0-9.]+ rows=[0-9]+ loops=[0-9]+/); split(substr($0, RSTART, RLENGTH), a, /[= ]/)
    read = a[5] * a[7]
    if (read * 2 < size[table]) print "  " label " (" read " of " size[table] " rows of " table ")"
    else print "  (fine: " label " reads " read " of " size[table] " rows of " table ")" > "/dev/stderr"
  }' <<<"$output" | sort -u)
plans=$(grep -c '^=== ' <<<"$output")
if [[ -n "$sequential" ]]; then
  echo
  echo "Sequential scans of a large table in:"
  echo "$sequential"
  exit 1
fi
echo
echo "No sequential scan of tasks or audit_logs in $plans plans, but where the answer is most of the table."

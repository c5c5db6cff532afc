#!/usr/bin/env bash
# The whole test suite on a fresh Debian or Ubuntu machine (README, Quick start; .ci/run runs it):
# starts PostgreSQL and Redis when they are down, installs the system packages the suite needs when
# they are missing (promtool, Chromium, and npm when there is none), installs the pinned Node.js into
# .tools/ when the machine's is older (README, Runtime), installs dependencies when package-lock.json
# or Node.js changed, then `npm test` on that Node.js: type check, lint, unit and e2e tests on the
# real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/install.sh
. scripts/lib/install.sh

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
fi
for _ in $(seq 1 30); do
  if pg_isready -h 127.0.0.1 -p 5432 -q && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    break
  fi
  sleep 1
done

# promtool (Debian package prometheus) checks monitoring/ and a real /metrics scrape; Chromium (at
# /usr/bin/chromium) runs the browser checks (playwright-core downloads no browser of its own); npm
# (with the distribution's Node.js) only fetches the pinned Node.js.
missing=()
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages the suite needs: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

use_node
install_dependencies
# No database roles to create here: the e2e setup creates each run's service role and database as
# the PostgreSQL superuser (TEST_ADMIN_DATABASE_URL, default postgres on 127.0.0.1), migrates as it,
# runs the application as the service role, and drops both at the end (README, Development).
npm test

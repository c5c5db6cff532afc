#!/usr/bin/env bash
# Validates docker-compose.yml without starting anything: `npm run compose:check`.
# Needs the docker CLI with compose (the v1 docker-compose binary also does); no engine is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "skipped: docker compose not available"
  exit 0
fi

# Stand-ins for the operator's secrets: interpolation needs values, nothing is started.
JWT_SECRET=compose-check POSTGRES_PASSWORD=compose-check "${compose[@]}" config -q
echo "docker-compose.yml is valid (${compose[*]} config)"

# The secrets must be required: without them the file must not even resolve.
if env -u JWT_SECRET POSTGRES_PASSWORD=compose-check "${compose[@]}" config -q 2>/dev/null; then
  echo "docker-compose.yml resolves without JWT_SECRET; it must be required" >&2
  exit 1
fi
echo "docker-compose.yml refuses to resolve without JWT_SECRET"

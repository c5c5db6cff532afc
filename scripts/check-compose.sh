#!/usr/bin/env bash
# Validates docker-compose.yml without starting anything: `npm run compose:check`.
# First what needs no Docker (scripts/check-compose-static.js: the file parses, its variables are
# documented in .env.example, its Node.js images are the version of .node-version by digest, within
# package.json engines), then `docker compose config`, which needs the docker CLI with compose (the
# v1 docker-compose binary also does) but no engine. Without one, it says plainly that compose
# checked nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/check-compose-static.js

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "NOT CHECKED BY COMPOSE: no docker compose (nor docker-compose) here, so \`docker compose config\` did not run:"
  echo "  the compose schema, interpolation and the refusal without each secret are unchecked;"
  echo "  only the checks above (ok: ...) ran. Run npm run compose:check where Docker's CLI is installed."
  exit 0
fi

# Stand-ins for the operator's secrets: interpolation needs values, nothing is started.
JWT_SECRET=compose-check POSTGRES_PASSWORD=compose-check APP_DB_PASSWORD=compose-check \
  "${compose[@]}" config -q
echo "docker-compose.yml is valid (${compose[*]} config)"

# The secrets must be required: without any one of them the file must not even resolve.
secrets=(JWT_SECRET POSTGRES_PASSWORD APP_DB_PASSWORD)
for missing in "${secrets[@]}"; do
  given=()
  for name in "${secrets[@]}"; do
    if [ "$name" != "$missing" ]; then given+=("$name=compose-check"); fi
  done
  if env -u "$missing" "${given[@]}" "${compose[@]}" config -q 2>/dev/null; then
    echo "docker-compose.yml resolves without $missing; it must be required" >&2
    exit 1
  fi
done
echo "docker-compose.yml refuses to resolve without any one of ${secrets[*]}"

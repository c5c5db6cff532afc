#!/usr/bin/env bash
# Quick start: install, configure (.env with a fresh JWT secret when absent), create the database,
# migrate, build and run. Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci
if [ ! -f .env ]; then
  secret=$(node -e "process.stdout.write(require('node:crypto').randomBytes(48).toString('base64url'))")
  sed "s|^JWT_SECRET=.*|JWT_SECRET=${secret}|" .env.example > .env
  echo "Created .env with a freshly generated JWT_SECRET"
fi
# .env fills in what the environment does not set: a variable given on the command line
# (AGENT_ENDPOINT_ALLOWLIST=127.0.0.1 ./scripts/start.sh) wins over its line in .env.
given=()
while IFS='=' read -r name _; do
  if [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ && -n ${!name+set} ]]; then given+=("$name=${!name}"); fi
done < .env
set -a
# shellcheck disable=SC1091
. ./.env
set +a
for pair in "${given[@]}"; do export "$pair"; done
node scripts/create-database.js
npm run build
npm run migration:run
exec npm run start:prod

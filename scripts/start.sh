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
set -a
# shellcheck disable=SC1091
. ./.env
set +a
node scripts/create-database.js
npm run build
npm run migration:run
exec npm run start:prod

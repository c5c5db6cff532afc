#!/usr/bin/env bash
# Quick start: the pinned Node.js when the machine's is older (README, Runtime), install, configure
# (.env with a fresh JWT secret and service role password when absent), create the database and the
# service's login role, build, migrate as the owner and run as the service role. Safe to run again:
# every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/install.sh
. scripts/lib/install.sh

use_node
install_dependencies
if [ ! -f .env ]; then
  secret=$(node -e "process.stdout.write(require('node:crypto').randomBytes(48).toString('base64url'))")
  # Hex: it goes into DATABASE_URL as it is.
  password=$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))")
  sed -e "s|^JWT_SECRET=.*|JWT_SECRET=${secret}|" \
    -e "s|^\(DATABASE_URL=postgres://ymera_app:\)[^@]*@|\1${password}@|" .env.example > .env
  echo "Created .env with a freshly generated JWT_SECRET and ymera_app password"
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
# The database, and the login role DATABASE_URL names when it is not the owner's
# (MIGRATION_DATABASE_URL). An older .env with DATABASE_URL alone migrates and serves as that one
# user, and the service warns at start that its role could rewrite the audit trail.
node -r ts-node/register/transpile-only scripts/check-config.ts
node scripts/create-database.js
npm run build
npm run migration:run
# The service never holds the owner's URL: it connects as the role DATABASE_URL names.
exec env -u MIGRATION_DATABASE_URL npm run start:prod

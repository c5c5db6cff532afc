# Sourced by scripts/start.sh and scripts/test.sh: npm ci only when node_modules is missing or was
# installed from another package-lock.json (a stamp records the lock it was installed from).
install_dependencies() {
  local stamp=node_modules/.ymera-lock-sha256
  local lock
  lock=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock" ]; then
    return 0
  fi
  echo "Installing dependencies (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund
  echo "$lock" > "$stamp"
}

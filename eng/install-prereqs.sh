#!/usr/bin/env bash
# Installs what SessionBuddy needs on Debian 12 to run and test: RabbitMQ and pgvector for the
# preinstalled PostgreSQL 15. Idempotent: every step is skipped when its result is present.
# Mirror URIs are read from the machine's own apt configuration, never written here.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '[install-prereqs] %s\n' "$*"; }

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
}

need_pkg() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_update_once
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# PostgreSQL server binaries (preinstalled on these machines; installed if absent).
if [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]; then
  need_pkg "postgresql-${PG_MAJOR}"
fi

# RabbitMQ: apt installs it but does not need to start it; our hosts start private nodes.
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  need_pkg rabbitmq-server
fi
# Debian's package starts a system node on install on some images; we never use it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
  $SUDO systemctl stop rabbitmq-server || true
fi

# pgvector: not packaged for bookworm, so build it from the trixie *source* package.
ext_dir="$("$PG_CONFIG" --sharedir 2>/dev/null || echo "/usr/share/postgresql/${PG_MAJOR}")/extension"
if [ ! -f "$ext_dir/vector.control" ]; then
  log "building pgvector from the Debian source package"
  src_list=/etc/apt/sources.list.d/sessionbuddy-trixie-src.sources
  if [ ! -f "$src_list" ]; then
    mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
      mirror="$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)"
    fi
    if [ -z "$mirror" ]; then
      echo "install-prereqs: cannot find the Debian mirror URI in /etc/apt; add a deb-src entry for trixie by hand" >&2
      exit 1
    fi
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
      | $SUDO tee "$src_list" >/dev/null
    apt_updated=0
  fi
  need_pkg "postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev
  apt_update_once
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get source -qq pgvector >/dev/null 2>&1)
  src="$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)"
  if [ -z "$src" ]; then
    echo "install-prereqs: 'apt-get source pgvector' produced no source tree" >&2
    exit 1
  fi
  make -s -C "$src" PG_CONFIG="$PG_CONFIG" >/dev/null
  $SUDO make -s -C "$src" PG_CONFIG="$PG_CONFIG" install >/dev/null
fi

# Worker tasks run as this unprivileged user (WorkerPool:Confinement:User), never as the services' user;
# prlimit and setpriv (util-linux) set their limits and switch to it.
need_pkg util-linux
if ! id -u sessionbuddy-worker >/dev/null 2>&1; then
  log "creating the unprivileged user sessionbuddy-worker for worker tasks"
  $SUDO useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sessionbuddy-worker
fi

log "ready: postgres $("/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" --version | awk '{print $3}'), rabbitmq-server $(dpkg-query -W -f='${Version}' rabbitmq-server), pgvector $(awk -F"'" '/default_version/ {print $2}' "$ext_dir/vector.control")"

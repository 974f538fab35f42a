#!/usr/bin/env bash
# Installs the prerequisites (idempotent), builds everything, and runs every test project.
# The tests start their own private PostgreSQL + pgvector and RabbitMQ from local binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

bash eng/install-prereqs.sh
# Node 22 and the MCP clients tests/SessionBuddy.Clients.Tests drives (pinned npm packages).
bash eng/install-node.sh

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

status=0
dotnet test SessionBuddy.sln -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

# One closing line over all test projects, counted from their TRX reports.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  t="$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")"
  e="$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "Tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"

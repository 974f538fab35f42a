#!/usr/bin/env bash
# Screenshots of the Aspire dashboard as a person sees it: starts the AppHost on a throwaway data folder,
# makes one MCP tool call, and saves the resources page and that call's trace (docs/images by default).
# Needs Debian's chromium and npm's playwright-core, both installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(realpath -m "${1:-docs/images}")"
mkdir -p "$out"

command -v chromium >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
tools="$HOME/.cache/sessionbuddy/dashboard-screenshots"
if [ ! -d "$tools/node_modules/playwright-core" ]; then
  mkdir -p "$tools" && (cd "$tools" && npm install --silent --no-save playwright-core@1 >/dev/null)
fi

dotnet build SessionBuddy.AppHost -c Release -v quiet -nologo >/dev/null
data="$(mktemp -d)"
log="$data/apphost.log"
gateway_port=18679
dashboard="http://127.0.0.1:18888"
# What Properties/launchSettings.json gives `dotnet run`; the AppHost itself is then this script's child.
ASPNETCORE_URLS="$dashboard" ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:18889 ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:18890 \
  ASPIRE_ALLOW_UNSECURED_TRANSPORT=true ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true DOTNET_ENVIRONMENT=Development \
  SessionBuddy__DataDirectory="$data" SessionBuddy__GatewayPort="$gateway_port" \
  dotnet SessionBuddy.AppHost/bin/Release/net10.0/SessionBuddy.AppHost.dll >"$log" 2>&1 &
apphost=$!
cleanup() {
  # SIGTERM stops the AppHost; DCP then stops everything it started.
  kill -TERM "$apphost" 2>/dev/null || true
  wait "$apphost" 2>/dev/null || true
  sleep 10
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 600); do
  grep -q "MCP endpoint:" "$log" && break
  kill -0 "$apphost" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done
grep "MCP endpoint:" "$log" || { echo "the AppHost did not become healthy" >&2; tail -40 "$log" >&2; exit 1; }

mcp="http://localhost:$gateway_port/mcp"
headers=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
session="$(curl -s -D - -o /dev/null -X POST "$mcp" "${headers[@]}" \
  -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"screenshots","version":"1"}}}' \
  | awk 'tolower($1)=="mcp-session-id:" {print $2}' | tr -d '\r')"
session_headers=(-H "Mcp-Session-Id: $session" -H 'MCP-Protocol-Version: 2025-06-18')
curl -s -o /dev/null -X POST "$mcp" "${headers[@]}" "${session_headers[@]}" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
curl -s -X POST "$mcp" "${headers[@]}" "${session_headers[@]}" \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_session","arguments":{"name":"dashboard tour","project":"sessionbuddy"}}}' >/dev/null

# The trace whose SessionBuddy span is that tool call (the gateway's traces), once the service's spans have arrived too.
spans='import json, sys
for rs in json.load(sys.stdin)["data"]["resourceSpans"]:
    service = next(a["value"].get("stringValue") for a in rs["resource"]["attributes"] if a["key"] == "service.name")
    for ss in rs["scopeSpans"]:
        for s in ss["spans"]:
            tool = next((a["value"].get("stringValue") for a in s.get("attributes", []) if a["key"] == "sessionbuddy.tool.name"), "")
            print(s["traceId"], service, tool)'
trace=""
for _ in $(seq 1 60); do
  candidate="$(curl -s "$dashboard/api/telemetry/traces?resource=gateway" | python3 -c "$spans" | awk '$3 == "create_session" {print $1; exit}')"
  if [ -n "$candidate" ] && curl -s "$dashboard/api/telemetry/traces/$candidate" | python3 -c "$spans" | grep -q " sessions "; then
    trace="$candidate"
    break
  fi
  sleep 1
done
[ -n "$trace" ] || { echo "no trace of the tool call reached the dashboard" >&2; exit 1; }

# ES modules resolve packages next to the script: run a copy beside playwright-core.
cp eng/dashboard-screenshots/screenshots.mjs "$tools/"
node "$tools/screenshots.mjs" "$dashboard" "$trace" "$out"

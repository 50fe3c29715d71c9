#!/usr/bin/env bash
# Real MCP clients drive the real binary: the official MCP Inspector in CLI mode, and Claude
# Code's `claude mcp list`. Both come from npm through `scripts/setup --test-clients`; where
# npm or the packages are absent, the test is skipped (exit 77) with a message saying so.
set -euo pipefail
parhelia=$1
clients=${PARHELIA_TEST_CLIENTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/parhelia/test-clients}
inspector=$clients/node_modules/.bin/mcp-inspector
claude=$clients/node_modules/.bin/claude
if ! command -v node >/dev/null || [[ ! -x $inspector || ! -x $claude ]]; then
  echo "SKIPPED: node, the MCP Inspector or Claude Code is not installed; run scripts/setup --test-clients" >&2
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PARHELIA_HOME=$work/parhelia-home HOME=$work/home
mkdir -p "$HOME"
failures=0
expect() {  # expect NAME PATTERN COMMAND...
  local name=$1 pattern=$2
  shift 2
  local out
  if ! out=$(timeout 90 "$@" 2>&1); then
    echo "FAIL $name: exited non-zero"; echo "$out" | tail -20; failures=$((failures + 1)); return
  fi
  if grep -q -- "$pattern" <<<"$out"; then
    echo "ok   $name"
  else
    echo "FAIL $name: output lacks $pattern"; echo "$out" | tail -20; failures=$((failures + 1))
  fi
}

cd "$work"
expect "inspector tools/list" '"name": "status"' "$inspector" --cli "$parhelia" mcp --method tools/list
expect "inspector resources/list" 'parhelia://skills/discover-parhelia' "$inspector" --cli "$parhelia" mcp --method resources/list
expect "inspector resources/read" 'name: troubleshooting' \
  "$inspector" --cli "$parhelia" mcp --method resources/read --uri parhelia://skills/troubleshooting
expect "inspector prompts/list" '"name": "parhelia-guide"' "$inspector" --cli "$parhelia" mcp --method prompts/list
expect "inspector prompts/get" 'action list and session_id' \
  "$inspector" --cli "$parhelia" mcp --method prompts/get --prompt-name parhelia-session \
  --prompt-args action=list session_id=s-00000000
expect "inspector tools/call status" '"parhelia_home"' \
  "$inspector" --cli "$parhelia" mcp --method tools/call --tool-name status

expect "claude mcp add" 'Added stdio MCP server parhelia' "$claude" mcp add parhelia -- "$parhelia" mcp
expect "claude mcp list shows parhelia connected" 'parhelia: .* - ✔ Connected' "$claude" mcp list

# The same server over Streamable HTTP.
"$parhelia" mcp --http 127.0.0.1:0 >"$work/http-url" 2>"$work/http-log" &
http_pid=$!
trap 'kill $http_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s $work/http-url ]] && break; sleep 0.1; done
url=$(head -1 "$work/http-url")
http=(--transport http --server-url "$url")
expect "inspector over HTTP tools/list" '"name": "submit"' "$inspector" --cli "${http[@]}" --method tools/list
expect "inspector over HTTP tools/call status" '"parhelia_home"' \
  "$inspector" --cli "${http[@]}" --method tools/call --tool-name status
expect "inspector over HTTP resources/read" 'name: troubleshooting' \
  "$inspector" --cli "${http[@]}" --method resources/read --uri parhelia://skills/troubleshooting
expect "inspector over HTTP prompts/get" 'action list and session_id' \
  "$inspector" --cli "${http[@]}" --method prompts/get --prompt-name parhelia-session \
  --prompt-args action=list session_id=s-00000000
expect "claude mcp add --transport http" 'Added HTTP MCP server parhelia-http' \
  "$claude" mcp add --transport http parhelia-http "$url"
expect "claude mcp list shows parhelia-http connected" 'parhelia-http: .*(HTTP) - ✔ Connected' "$claude" mcp list

# The official conformance suite (Node 22, beside the clients): every scenario that applies to a
# server without the reference server's fixture tools.
conformance=$clients/node_modules/.bin/conformance
checks=14
if [[ -x $conformance && -x $clients/node_modules/.bin/node ]]; then
  for scenario in server-initialize ping logging-set-level tools-list prompts-list resources-list \
    completion-complete resources-subscribe resources-unsubscribe server-sse-multiple-streams \
    dns-rebinding-protection; do
    expect "conformance $scenario" ' 0 failed, 0 warnings' \
      env PATH="$clients/node_modules/.bin:$PATH" "$conformance" server --url "$url" --scenario "$scenario"
    checks=$((checks + 1))
  done
else
  echo "FAIL conformance: the suite or Node 22 is not installed; run scripts/setup --test-clients"
  failures=$((failures + 1))
fi

if ((failures)); then
  echo "$failures real-client check(s) failed"
  exit 1
fi
echo "$checks passed, 0 failed"

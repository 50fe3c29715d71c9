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

if ((failures)); then
  echo "$failures real-client check(s) failed"
  exit 1
fi
echo "8 passed, 0 failed"

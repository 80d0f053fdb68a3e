#!/usr/bin/env bash
# Runs the conformance suite against a fresh `cairn serve --ephemeral`, or against the
# registry at $1 if given (for example: scripts/conformance.sh http://127.0.0.1:5000).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p cairn -p cairn-conformance --bins
target="${CARGO_TARGET_DIR:-target}/debug"

if [ $# -gt 0 ]; then
  exec "$target/cairn-conformance" --url "$1"
fi

log=$(mktemp)
"$target/cairn" serve --ephemeral --listen 127.0.0.1:0 2>"$log" &
cairn=$!
trap 'kill $cairn 2>/dev/null; wait $cairn 2>/dev/null; rm -f "$log"' EXIT

url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -n 1 | cut -d' ' -f3 || true)
  [ -n "$url" ] && break
  kill -0 $cairn 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "cairn did not start" >&2; cat "$log" >&2; exit 1; }

"$target/cairn-conformance" --url "$url"

#!/usr/bin/env bash
# Where a counted view's time goes: the release binary on the sample blog (SQLite + the in-process cache, or
# PostgreSQL + Redis), counted views of every published post in turn by wrk (2 threads, 64 connections) while
# `perf record` samples the server's threads for 10 s; prints the top of `perf report` (self time by symbol,
# and by shared object). Run it before and after a change to the view path; BENCHMARKS.md keeps both.
# Needs: perf (apt-get install linux-perf), wrk, PostgreSQL and Redis as in .ci/run, ../shared/data.
#   bash benches/profile.sh sqlite            # this tree's binary
#   BIN=/path/to/blog-api bash benches/profile.sh postgres
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/blog-api-target}"
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin blog-api
  BIN="$CARGO_TARGET_DIR/release/blog-api"
fi
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
port=18910
pg="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
case "$backend" in
  sqlite) export DATABASE_URL="sqlite://$work/profile.db" ;;
  postgres)
    db="blog_profile_$$"
    psql -q "$pg" -c "CREATE DATABASE $db"
    trap '[ -n "$server" ] && kill "$server" 2>/dev/null; psql -q "$pg" -c "DROP DATABASE $db WITH (FORCE)"; rm -rf "$work"' EXIT
    export DATABASE_URL="${pg%/*}/$db" REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX="profile-$$"
    ;;
  *) echo "usage: $0 sqlite|postgres"; exit 1 ;;
esac
"$BIN" import ../shared/data/blog-2000.json >/dev/null 2>&1
BIND=127.0.0.1:$port RUST_LOG=error CLICK_SYNC_INTERVAL_MS=1000 RATE_LIMIT_VIEWS_PER_MINUTE=1000000000 \
  "$BIN" serve >/dev/null &
server=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
ids=$(python3 - "$port" <<'PY'
import json, sys, urllib.request
ids, page = [], 1
while True:
    url = f"http://127.0.0.1:{sys.argv[1]}/posts?per_page=100&fields=id&page={page}"
    data = json.load(urllib.request.urlopen(url))["data"]
    if not data:
        break
    ids += [str(post["id"]) for post in data]
    page += 1
print(",".join(ids))
PY
)
echo "ids = {$ids}" > "$work/ids.lua"
export BENCH_IDS="$work/ids.lua"
# Warm: every post read once (its JSON and its total made), then the measured load.
wrk -t2 -c64 -d3s -s benches/views.lua "http://127.0.0.1:$port/" >/dev/null
wrk -t2 -c64 -d15s -s benches/views.lua "http://127.0.0.1:$port/" >"$work/wrk.txt" &
load=$!
sleep 2
perf record -q -F 999 -p "$server" -o "$work/perf.data" -- sleep 10 >/dev/null 2>&1
wait "$load"
echo "requests/s: $(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") (under perf)"
echo "-- self time by shared object"
perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' |
  sed -E 's/[ -]+$//; s/^ +//' | head -8
echo "-- self time by symbol (>= 1%)"
perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 1 --stdio 2>/dev/null |
  grep -E '^ +[0-9]' | sed -E 's/[ -]+$//; s/^ +//' | cut -c1-140 | head -30

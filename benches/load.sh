#!/usr/bin/env bash
# Load benchmark: the release binary on the sample blog, on SQLite + the in-process cache and on
# PostgreSQL + Redis, driven by wrk over loopback (2 threads, 64 connections, 15 s per scenario), beside a
# ceiling server (benches/ceiling.rs: one Redis HINCRBY and a fixed ~1 KB JSON per request) measured in the
# same run, so every figure is also a ratio to it (absolute figures swing with machine load).
# Prints requests/s, the ratio, latency percentiles and the server's peak memory (VmHWM). Bounded: each run
# stops by itself. Needs: wrk (apt-get install wrk), PostgreSQL and Redis as in .ci/run, ../shared/data,
# and Pillow (pip install pillow) to make the upload scenario's photo.
#   bash benches/load.sh            # both backends
#   SCENARIOS="uploads" BACKENDS=postgres bash benches/load.sh
#                                   # only some groups of rows (lists, views, search, uploads; default: all)
#                                   # on some backends (sqlite, postgres; default: both)
#   BASELINE=cb2a3de bash benches/load.sh
#                                   # also the counted-view row of that commit's binary, on the same data
#                                   # (what a change to the counting path costs, measured in one run)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/blog-api-target}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
work=$(mktemp -d)
server=""
ceiling=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$ceiling" ] && kill "$ceiling" 2>/dev/null; rm -rf "$work"' EXIT
baseline_bin=""
if [ -n "${BASELINE:-}" ]; then
  # Built first and copied aside: both builds share the target directory (and its dependencies).
  git worktree add --quiet --detach "$work/baseline" "$BASELINE"
  (cd "$work/baseline" && cargo build --release --quiet --bin blog-api)
  cp "$CARGO_TARGET_DIR/release/blog-api" "$work/blog-api-baseline"
  git worktree remove --force "$work/baseline"
  baseline_bin="$work/blog-api-baseline"
fi
cargo build --release --quiet --bin blog-api --example ceiling
bin="$CARGO_TARGET_DIR/release/blog-api"
ceiling_bin="$CARGO_TARGET_DIR/release/examples/ceiling"
sample=../shared/data/blog-2000.json
pg="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18900
ceiling_port=18901

# Lua scripts for wrk, as a browser (so every read counts a click): benches/views.lua reads the published
# posts in turn (their ids, written into ids.lua once the server answers), hot.lua reads one post over and over.
cp benches/views.lua "$work/views.lua"
cat > "$work/hot.lua" <<'LUA'
request = function()
  return wrk.format("GET", "/posts/1", {["User-Agent"] = "Mozilla/5.0 (X11; Linux) Firefox/130.0"})
end
LUA
export BENCH_IDS="$work/ids.lua"

# Uploads: a 2 MB photo-like JPEG (3000 x 2000, noise over gradients: it compresses like a photo), sent as
# a browser's FormData sends it, with an editor's token (upload.lua reads both from the environment).
python3 - "$work/photo.jpg" <<'PY'
import random, sys
from PIL import Image
random.seed(7)
w, h = 3000, 2000
image = Image.new("RGB", (w, h))
noise = bytes(random.getrandbits(8) for _ in range(w * h * 3))
base = Image.frombytes("RGB", (w, h), noise)
gradient = Image.linear_gradient("L").resize((w, h)).convert("RGB")
Image.blend(base, gradient, 0.55).save(sys.argv[1], "JPEG", quality=85)
PY
cat > "$work/upload.lua" <<'LUA'
local file = io.open(os.getenv("BENCH_PHOTO"), "rb")
local photo = file:read("*all")
file:close()
local boundary = "----benchboundary7MA4YWxkTrZu0gW"
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n" ..
  "Content-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n" ..
  "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n" ..
  "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA photo\r\n" ..
  "--" .. boundary .. "--\r\n"
LUA
export BENCH_PHOTO="$work/photo.jpg"

# The ids of every published post, from the API's own list, as a Lua table.
published_ids() {
  local page=1 ids=""
  while :; do
    local chunk
    chunk=$(curl -sf "http://127.0.0.1:$port/posts?per_page=100&page=$page" |
      python3 -c 'import json, sys; print(",".join(str(p["id"]) for p in json.load(sys.stdin)["data"]))')
    [ -z "$chunk" ] && break
    ids="$ids${ids:+,}$chunk"
    page=$((page + 1))
  done
  echo "ids = {$ids}" > "$BENCH_IDS"
}

# One scenario: wrk against `path` on `target_port` (default: the product); prints its row and sets $rps.
run() {
  local name=$1 path=$2 extra=${3:-} target_port=${4:-$port}
  # shellcheck disable=SC2086
  local out
  out=$(wrk -t2 -c64 -d15s --latency $extra "http://127.0.0.1:$target_port$path")
  local p50 p99 ratio
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  ratio=$(awk -v a="$rps" -v b="${ceiling_rps:-$rps}" 'BEGIN {printf "%.2fx", a / b}')
  printf '| %-28s | %-34s | %10s | %7s | %8s | %8s |\n' "$backend" "$name" "$rps" "$ratio" "$p50" "$p99"
}

# The p99 of `path` in ms, 4 connections for 10 s.
p99_ms() {
  wrk -t1 -c4 -d10s --latency "http://127.0.0.1:$port$1" | awk '$1 == "99%" {
    v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v);
    if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000;
    printf "%.2f", v }'
}

# Ten connections searching a common word must not make single-post reads wait for a pool connection
# (search requests take at most half the pool and half the cores): the p99 of GET /posts/{id} alone, then beside the searches.
searches_beside_reads() {
  local idle busy searching
  idle=$(p99_ms /posts/1)
  wrk -t1 -c10 -d13s "http://127.0.0.1:$port/posts?q=redis+latency" >/dev/null &
  searching=$!
  sleep 1
  busy=$(p99_ms /posts/1)
  wait "$searching"
  printf '| %-28s | %-34s | idle p99 %s ms, beside 10 searches %s ms: %sx |\n' "$backend" \
    "GET /posts/{id} p99 vs searches" "$idle" "$busy" "$(awk -v a="$busy" -v b="$idle" 'BEGIN {printf "%.2f", a / b}')"
}

# Uploads of the 2 MB JPEG (2 connections: one being made per worker, one worker per core), then the
# counted-view row again beside one connection uploading without a pause (a steady upload load: one always
# being made), and what that connection managed meanwhile. Images are made at the lowest priority
# (MEDIA_WORKER_NICE=idle, the default): readers are served first and the uploads take what is left.
uploads_and_reads_beside() {
  local out
  out=$(wrk -t1 -c2 -d15s --timeout 60s --latency -s "$work/upload.lua" "http://127.0.0.1:$port/media")
  upload_row "POST /media, 2 MB JPEG" "$out"
  # The row to compare with, taken right before (rows taken minutes apart differ by the order alone).
  run "GET /posts/{id}, counted, just before" "/posts/1" "-s $work/views.lua"
  wrk -t1 -c1 -d17s --timeout 60s --latency -s "$work/upload.lua" "http://127.0.0.1:$port/media" \
    >"$work/uploads-beside.txt" &
  local uploading=$!
  sleep 1
  run "GET /posts/{id}, counted, beside uploads" "/posts/1" "-s $work/views.lua"
  wait "$uploading"
  upload_row "POST /media beside those reads" "$(cat "$work/uploads-beside.txt")"
}

# A row of upload figures from wrk's output: requests/s, p50, p99, and any errors wrk counted.
upload_row() {
  local name=$1 out=$2 errors
  errors=$(awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s ", $0}' <<<"$out")
  printf '| %-28s | %-34s | %10s | %7s | %8s | %8s |%s\n' "$backend" "$name" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "-" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "${errors:+ $errors}"
}

# Whether the group of rows `$1` is to be run (SCENARIOS, default all).
wanted() {
  [ -z "${SCENARIOS:-}" ] || [[ " $SCENARIOS " == *" $1 "* ]]
}

bench() {
  backend=$1
  "$bin" import "$sample" >/dev/null 2>&1
  BENCH_TOKEN=$("$bin" token create "bench-$$-$RANDOM" | tail -n 1)
  export BENCH_TOKEN
  BIND=127.0.0.1:$port RUST_LOG=error CLICK_SYNC_INTERVAL_MS=1000 RATE_LIMIT_VIEWS_PER_MINUTE=1000000000 \
    MEDIA_STORE="file://$work/media-$RANDOM" "$bin" serve >/dev/null &
  server=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  published_ids
  # The ceiling, measured right before this backend's rows.
  ceiling_rps=""
  run "ceiling (HINCRBY + 1 KB JSON)" "/" "" "$ceiling_port"
  ceiling_rps=$rps
  if wanted lists; then
    run "GET /posts (20 per page)" "/posts"
    run "GET /posts?per_page=100" "/posts?per_page=100"
    run "GET /posts?fields=id,title,slug,clicks&per_page=100" "/posts?fields=id,title,slug,clicks&per_page=100"
  fi
  if wanted views; then
    run "GET /posts/{id}, counted views" "/posts/1" "-s $work/views.lua"
    run "GET /posts/1, one hot post, counted" "/posts/1" "-s $work/hot.lua"
  fi
  if wanted search; then
    run "GET /posts?q=redis+latency" "/posts?q=redis+latency"
    searches_beside_reads
  fi
  if wanted uploads; then uploads_and_reads_beside; fi
  printf '| %-28s | %-34s | peak RSS %s |\n' "$backend" "server memory" "$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$server/status")"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  if [ -n "$baseline_bin" ]; then
    # The same data, a Redis prefix of its own (the two versions' batches need not read each other's).
    BIND=127.0.0.1:$port RUST_LOG=error CLICK_SYNC_INTERVAL_MS=1000 RATE_LIMIT_VIEWS_PER_MINUTE=1000000000 \
      REDIS_KEY_PREFIX="${REDIS_KEY_PREFIX:-bench}-baseline" "$baseline_bin" serve >/dev/null &
    server=$!
    for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    run "counted views, baseline $BASELINE" "/posts/1" "-s $work/views.lua"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    # This commit's again, after the baseline: the order of a pair moves a row too.
    BIND=127.0.0.1:$port RUST_LOG=error CLICK_SYNC_INTERVAL_MS=1000 RATE_LIMIT_VIEWS_PER_MINUTE=1000000000 "$bin" serve >/dev/null &
    server=$!
    for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    run "counted views, this commit again" "/posts/1" "-s $work/views.lua"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
  fi
}

"$ceiling_bin" "127.0.0.1:$ceiling_port" redis://127.0.0.1:6379 "bench-$$" >/dev/null 2>&1 &
ceiling=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$ceiling_port/" >/dev/null && break; sleep 0.2; done

echo "| backend                      | scenario                           | requests/s | vs ceiling |      p50 |      p99 |"
echo "|---|---|---|---|---|---|"
backends=" ${BACKENDS:-sqlite postgres} "
if [[ "$backends" == *" sqlite "* ]]; then
  DATABASE_URL="sqlite://$work/bench.db" bench "SQLite + in-process cache"
fi
if [[ "$backends" == *" postgres "* ]]; then
  db="blog_bench_$$"
  psql -q "$pg" -c "CREATE DATABASE $db"
  DATABASE_URL="${pg%/*}/$db" REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX="bench-$$" bench "PostgreSQL + Redis"
  psql -q "$pg" -c "DROP DATABASE $db WITH (FORCE)"
fi
redis-cli --scan --pattern "bench-$$*" | xargs -r redis-cli del >/dev/null

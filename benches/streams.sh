#!/usr/bin/env bash
# Live streams benchmark: 10,000 open `GET /posts/{id}/live` streams on one instance (over 100 posts), on
# SQLite + the in-process cache and on PostgreSQL + Redis. Prints the server's memory before and with the
# streams (resident set; per stream), how long opening them took, the counted-view row (wrk, as a browser,
# every published post in turn) alone (before and after) and beside the streams, each as a ratio to the
# ceiling server measured in the same run, and how many streams saw a new count during the views (they are
# live, not parked).
# Needs: wrk, PostgreSQL and Redis as in .ci/run, ../shared/data; raises its open-file limit to fit.
#   bash benches/streams.sh
#   STREAMS=2000 BACKENDS=sqlite bash benches/streams.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/blog-api-target}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
streams=${STREAMS:-10000}
# The server and the client each hold one descriptor per stream.
ulimit -n "$(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 ))"
work=$(mktemp -d)
server=""
ceiling=""
client=""
trap '[ -n "$client" ] && kill "$client" 2>/dev/null; [ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$ceiling" ] && kill "$ceiling" 2>/dev/null; rm -rf "$work"' EXIT
cargo build --release --quiet --bin blog-api --example ceiling
bin="$CARGO_TARGET_DIR/release/blog-api"
ceiling_bin="$CARGO_TARGET_DIR/release/examples/ceiling"
sample=../shared/data/blog-2000.json
pg="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18910
ceiling_port=18911
cp benches/views.lua "$work/views.lua"
export BENCH_IDS="$work/ids.lua"

# The streams' client: asyncio, one connection per stream, each read until its first count and then kept
# reading; it says "open <seconds>" once all have their first event, and on SIGUSR1 prints how many streams
# saw a count after that moment (then keeps them open until killed).
cat > "$work/streams.py" <<'PY'
import asyncio, json, signal, sys, time
port, total, ids = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
opened = 0
moved = set()
marked = False

async def follow(index):
    global opened
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    post = ids[index % len(ids)]
    writer.write(f"GET /posts/{post}/live HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    first = True
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"event: count"):
            if first:
                first = False
                opened += 1
            elif marked:
                moved.add(index)

async def main():
    global marked
    started = time.monotonic()
    tasks = []
    for index in range(total):
        tasks.append(asyncio.create_task(follow(index)))
        if index % 200 == 199:
            await asyncio.sleep(0.01)
    while opened < total:
        await asyncio.sleep(0.05)
        if time.monotonic() - started > 300:
            print(f"only {opened} of {total} opened", flush=True)
            break
    print(f"open {time.monotonic() - started:.1f}", flush=True)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    def mark():
        global marked
        marked = True
    loop.add_signal_handler(signal.SIGUSR1, mark)
    loop.add_signal_handler(signal.SIGUSR2, done.set)
    await done.wait()
    print(f"moved {len(moved)}", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
PY

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
  # The streams watch the first 100 posts of the list.
  python3 -c "import sys; print('[' + ','.join(sys.argv[1].split(',')[:100]) + ']')" "$ids" > "$work/watched.json"
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
# CPU seconds a process used so far (user + system).
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# wrk, as a browser, every published post in turn; prints requests/s.
views() {
  wrk -t2 -c64 -d15s -s "$work/views.lua" "http://127.0.0.1:$port/posts/1" | awk '/Requests\/sec/ {print $2}'
}

bench() {
  backend=$1
  "$bin" import "$sample" >/dev/null 2>&1
  BIND=127.0.0.1:$port RUST_LOG=error CLICK_SYNC_INTERVAL_MS=1000 RATE_LIMIT_VIEWS_PER_MINUTE=1000000000 \
    SSE_MAX_STREAMS=$((streams + 100)) MEDIA_STORE="file://$work/media-$RANDOM" "$bin" serve >/dev/null &
  server=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  published_ids
  local ceiling_rps alone beside idle with open_took moved
  ceiling_rps=$(wrk -t2 -c64 -d15s "http://127.0.0.1:$ceiling_port/" | awk '/Requests\/sec/ {print $2}')
  alone=$(views)
  idle=$(rss_kib)
  python3 "$work/streams.py" "$port" "$streams" "$(cat "$work/watched.json")" > "$work/client.out" 2>&1 &
  client=$!
  for _ in $(seq 1 600); do grep -q '^open\|^only' "$work/client.out" && break; sleep 0.5; done
  open_took=$(awk '/^open/ {print $2 " s"} /^only/ {print}' "$work/client.out")
  sleep 2
  with=$(rss_kib)
  kill -USR1 "$client"
  local client_before server_before
  client_before=$(cpu_s "$client")
  server_before=$(cpu_s "$server")
  beside=$(views)
  local client_cpu server_cpu
  client_cpu=$(awk -v a="$(cpu_s "$client")" -v b="$client_before" 'BEGIN { printf "%.1f", a - b }')
  server_cpu=$(awk -v a="$(cpu_s "$server")" -v b="$server_before" 'BEGIN { printf "%.1f", a - b }')
  sleep 2
  kill -USR2 "$client"
  for _ in $(seq 1 20); do grep -q '^moved' "$work/client.out" && break; sleep 0.5; done
  moved=$(awk '/^moved/ {print $2}' "$work/client.out")
  local open_now
  open_now=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^blog_api_sse_streams / {print $2}')
  kill "$client"; wait "$client" 2>/dev/null || true; client=""
  # Alone again, after: a second run of the same views is slower or faster by itself (the click sync's
  # writes grow, caches warm), so the streams' row is held to the mean of one run before and one after.
  sleep 2
  local after mean
  after=$(views)
  mean=$(awk -v a="$alone" -v b="$after" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  printf '| %s | ceiling %s/s | counted views alone %s/s before, %s/s after (%sx of ceiling) | beside %s streams %s/s (%sx of ceiling, %sx of alone) |\n' \
    "$backend" "$ceiling_rps" "$alone" "$after" "$(ratio "$mean" "$ceiling_rps")" "$open_now" "$beside" \
    "$(ratio "$beside" "$ceiling_rps")" "$(ratio "$beside" "$mean")"
  printf '| %s | opened in %s | RSS idle %s KiB, with the streams %s KiB: %s KiB per stream | %s of %s streams saw a new count during the views |\n' \
    "$backend" "$open_took" "$idle" "$with" "$(ratio "$((with - idle))" "$streams")" "$moved" "$streams"
  printf '| %s | CPU during the 15 s of views beside the streams: server %s s, the streams'"'"' client %s s (of 30 s on 2 cores) |\n' \
    "$backend" "$server_cpu" "$client_cpu"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

"$ceiling_bin" "127.0.0.1:$ceiling_port" redis://127.0.0.1:6379 "bench-$$" >/dev/null 2>&1 &
ceiling=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$ceiling_port/" >/dev/null && break; sleep 0.2; done

for backend in ${BACKENDS:-sqlite postgres}; do
  case $backend in
    sqlite)
      export DATABASE_URL="sqlite://$work/streams.db"
      unset REDIS_URL
      bench "SQLite + in-process"
      ;;
    postgres)
      db="blog_streams_$$"
      psql -q "$pg" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
      export DATABASE_URL="${pg%/*}/$db" REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX="streams-$$"
      bench "PostgreSQL + Redis"
      psql -q "$pg" -c "DROP DATABASE $db WITH (FORCE)"
      redis-cli --scan --pattern "streams-$$:*" | xargs -r redis-cli del >/dev/null
      ;;
  esac
done

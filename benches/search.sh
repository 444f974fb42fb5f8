#!/usr/bin/env bash
# Search at scale (README "Search", issue 31): a generated blog of 100,000 posts, imported, then served by the
# release binary with the content cache off (CONTENT_CACHE_BYTES=0: every search and suggestion is cold, worked
# out by the index and read from the database each time). Prints, per backend:
#   - the import's time, and the search index's build at start-up (the server's own log line: posts, distinct
#     words, bytes, milliseconds) with the server's resident memory before and after it;
#   - cold searches at 8 connections over random queries (one to three words, a third of them with a typo, the
#     last word often cut short as if still being typed, random pages): requests/s, p50, p99;
#   - suggestions at 8 connections over random prefixes of 2 to 6 letters: requests/s, p50, p99;
#   - GET /posts/{id} p99 alone (4 connections), then beside ten connections of cold searches, and the ratio.
# The blog: the sample blog's posts (../shared/data/blog-2000.json) repeated with new ids and slugs, each body
# given five words of a made-up vocabulary of 50,000, so that the index holds a real blog's number of words
# (typo scans go over all of them) and common words match most posts (the costly case for a ranking).
#   bash benches/search.sh                     # SQLite
#   BACKENDS="sqlite postgres" bash benches/search.sh
#   POSTS=20000 bash benches/search.sh         # a smaller blog
# Needs wrk, python3, ../shared/data, and PostgreSQL as in .ci/run for the postgres backend.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/blog-api-target}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
posts=${POSTS:-100000}
backends=${BACKENDS:-sqlite}
pg="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18910
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
cargo build --release --quiet --bin blog-api
bin="$CARGO_TARGET_DIR/release/blog-api"

python3 - ../shared/data/blog-2000.json "$work/blog.json" "$posts" "$work/words.lua" <<'PY'
import json, random, sys
random.seed(31)
source, target, count, words_lua = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
blog = json.load(open(source))
letters = "abcdefghijklmnopqrstuvwxyz"
made_up = sorted({"".join(random.choice(letters) for _ in range(random.randint(5, 11))) for _ in range(52000)})[:50000]
templates = blog["posts"]
posts = []
for n in range(count):
    t = templates[n % len(templates)]
    post = dict(t)
    post["id"] = n + 1
    post["slug"] = f"{t['slug']}-{n + 1}"
    post["body_markdown"] = t["body_markdown"] + "\n\n" + " ".join(random.choice(made_up) for _ in range(5))
    posts.append(post)
json.dump({"categories": blog["categories"], "tags": blog["tags"], "posts": posts, "comments": []}, open(target, "w"))
common = sorted({w.lower() for t in templates for w in t["title"].split()})
with open(words_lua, "w") as out:
    out.write("common = {" + ",".join(json.dumps(w) for w in common) + "}\n")
    out.write("rare = {" + ",".join(json.dumps(w) for w in made_up[::50]) + "}\n")
PY

# Random cold searches: one to three words, common or made-up; a third get a typo (a letter changed); the last
# word is cut to a prefix half of the time; a random page of the first five.
cat > "$work/search.lua" <<'LUA'
dofile(os.getenv("BENCH_WORDS"))
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local function word()
  local list = math.random() < 0.7 and common or rare
  local w = list[math.random(#list)]
  if #w >= 5 and math.random() < 0.33 then
    local at = math.random(2, #w)
    w = w:sub(1, at - 1) .. string.char(math.random(97, 122)) .. w:sub(at + 1)
  end
  return w
end
request = function()
  local n = math.random(1, 3)
  local words = {}
  for i = 1, n do words[i] = word() end
  if math.random() < 0.5 and #words[n] > 3 then words[n] = words[n]:sub(1, math.random(3, #words[n] - 1)) end
  return wrk.format("GET", "/posts?q=" .. table.concat(words, "+") .. "&page=" .. math.random(1, 5))
end
LUA
cat > "$work/suggest.lua" <<'LUA'
dofile(os.getenv("BENCH_WORDS"))
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local list = math.random() < 0.7 and common or rare
  local w = list[math.random(#list)]
  return wrk.format("GET", "/search/suggest?q=" .. w:sub(1, math.random(2, math.min(6, #w))))
end
LUA
export BENCH_WORDS="$work/words.lua"

ms() {
  awk -v want="$1" '$1 == want {
    v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v);
    if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000;
    printf "%.2f", v }'
}

row() {
  local name=$1 out=$2
  printf '| %-12s | %-44s | %9s | %8s ms | %8s ms |\n' "$backend" "$name" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(ms 50% <<<"$out")" "$(ms 99% <<<"$out")"
}

bench() {
  backend=$1
  local started took log=$work/server-$backend.log
  started=$(date +%s.%N)
  "$bin" import "$work/blog.json" >/dev/null
  took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  BIND=127.0.0.1:$port RUST_LOG=info CONTENT_CACHE_BYTES=0 "$bin" serve >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  echo "$backend: imported $posts posts in ${took} s; $(grep -o 'search index built.*' "$log" | head -1 | tr -d '"')"
  echo "$backend: server resident memory after start: $(awk '/VmRSS/ {print $2 " " $3}' "/proc/$server/status")"
  row "cold search, 8 connections" "$(wrk -t2 -c8 -d15s --latency -s "$work/search.lua" "http://127.0.0.1:$port/")"
  row "suggestion, 8 connections" "$(wrk -t2 -c8 -d15s --latency -s "$work/suggest.lua" "http://127.0.0.1:$port/")"
  local idle busy searching
  idle=$(wrk -t1 -c4 -d10s --latency "http://127.0.0.1:$port/posts/7" | ms 99%)
  wrk -t2 -c10 -d13s -s "$work/search.lua" "http://127.0.0.1:$port/" >/dev/null &
  searching=$!
  sleep 1
  busy=$(wrk -t1 -c4 -d10s --latency "http://127.0.0.1:$port/posts/7" | ms 99%)
  wait "$searching"
  echo "$backend: GET /posts/{id} p99 idle $idle ms, beside 10 connections of cold searches $busy ms:" \
    "$(awk -v a="$busy" -v b="$idle" 'BEGIN {printf "%.2f", a / b}')x"
  echo "$backend: server peak memory: $(awk '/VmHWM/ {print $2 " " $3}' "/proc/$server/status")"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "| backend      | scenario                                     | requests/s |      p50 |      p99 |"
echo "|---|---|---|---|---|"
for backend in $backends; do
  case $backend in
    sqlite) DATABASE_URL="sqlite://$work/search.db" bench sqlite ;;
    postgres)
      db="blog_search_$$"
      psql -q "$pg" -c "CREATE DATABASE $db"
      DATABASE_URL="${pg%/*}/$db" bench postgres
      psql -q "$pg" -c "DROP DATABASE $db WITH (FORCE)" ;;
  esac
done

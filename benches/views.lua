-- wrk script: counted views (a browser's User-Agent) of every published post in turn; the ids are read from
-- the Lua file named by BENCH_IDS (`ids = {1,2,...}`), written by the script that runs wrk.
dofile(os.getenv("BENCH_IDS"))
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/posts/" .. ids[(n % #ids) + 1], {["User-Agent"] = "Mozilla/5.0 (X11; Linux) Firefox/130.0"})
end

-- The read check: GET /v1/explain?user=U&institution=I (the decision and its path for one user
-- at one institution), rotating through the (user, institution) pairs listed in a file.
--
--   wrk -t1 -c64 -d10s --latency -s explain.lua http://127.0.0.1:PORT \
--       -- PAIRS_FILE "Basic <base64 site-client:secret>"
--
-- PAIRS_FILE lines: "<user> <institution>" (anything after is ignored, so handoff.lua's pairs
-- file serves too). done() prints "check: ok=N other=N" (answers other than 200 also count in
-- wrk's Non-2xx).

local threads = {}
local next_thread = 1

function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local paths = {}
local auth
local i = 0
ok, other = 0, 0

function init(args)
  for line in io.lines(args[1]) do
    local user, inst = line:match("^(%S+) (%S+)")
    if user then
      paths[#paths + 1] = "/v1/explain?user=" .. user .. "&institution=" .. inst
    end
  end
  auth = args[2]
  i = (id * 7919) % #paths  -- threads start at different pairs
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Authorization"] = auth })
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
  end
  io.write(string.format("check: ok=%d other=%d\n", total_ok, total_other))
end

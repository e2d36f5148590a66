-- The read-only check: GET /v1/users/{id}/institutions (the "Log in to MIS" drop-down),
-- rotating through the users listed in a file, one username per line.
--
--   wrk -t2 -c64 -d10s --latency -s users_institutions.lua http://127.0.0.1:PORT \
--       -- USERS_FILE "Basic <base64 client:secret>"
--
-- done() prints "check: ok=N other=N" (answers other than 200 also count in wrk's Non-2xx).

local threads = {}
local next_thread = 1

function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local users = {}
local auth
local i = 0
ok, other = 0, 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then users[#users + 1] = line end
  end
  auth = args[2]
  i = (id * 7919) % #users  -- threads start at different users
end

function request()
  i = i % #users + 1
  return wrk.format("GET", "/v1/users/" .. users[i] .. "/institutions",
                    { ["Authorization"] = auth })
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

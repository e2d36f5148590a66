-- Issue + redeem pairs: each connection asks POST /v1/handoffs as the MAT/LA site, and sends
-- POST /v1/handoffs/redeem as the ticket's school for every ticket it has received.
--
--   wrk -t2 -c4 -d10s --latency -s handoff.lua http://127.0.0.1:PORT \
--       -- PAIRS_FILE "Basic <site credential>"
--
-- PAIRS_FILE lines: "<user> <institution> <Authorization value of that school's client>".
-- Tickets are matched to their school through the redirect URL, whose last path segment is the
-- institution id (as in bench/api_wrk.cc's synthetic directory). wrk's figures count both kinds
-- of request; done() prints "handoff: issued=N active=N inactive=N denied=N other=N".

local threads = {}
local next_thread = 1

function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local plan = {}
local school_auth = {}
local site_auth
local n = 0
local tickets = {}  -- FIFO of { ticket, institution } received and not yet redeemed
local head, tail = 1, 0
issued, active, inactive, denied, other = 0, 0, 0, 0, 0

function init(args)
  for line in io.lines(args[1]) do
    local user, inst, auth = line:match("^(%S+) (%S+) (.+)$")
    if user then
      plan[#plan + 1] = { user = user, inst = inst }
      school_auth[inst] = auth
    end
  end
  site_auth = args[2]
  n = (id * 7919) % #plan
end

function request()
  if head <= tail then
    local t = tickets[head]
    tickets[head] = nil
    head = head + 1
    return wrk.format("POST", "/v1/handoffs/redeem",
                      { ["Authorization"] = school_auth[t.inst],
                        ["Content-Type"] = "application/json" },
                      '{"ticket":"' .. t.ticket .. '"}')
  end
  n = n % #plan + 1
  local p = plan[n]
  return wrk.format("POST", "/v1/handoffs",
                    { ["Authorization"] = site_auth, ["Content-Type"] = "application/json" },
                    string.format('{"user":"%s","institution":"%s","mfa":true,"auth_time":%d}',
                                  p.user, p.inst, os.time() - 5))
end

function response(status, headers, body)
  if status == 201 then
    local ticket = body:match('"ticket":"([^"]+)"')
    local inst = body:match('"redirect_url":"[^"]-([^/"]+)"')
    if ticket and inst then
      issued = issued + 1
      tail = tail + 1
      tickets[tail] = { ticket = ticket, inst = inst }
    else
      other = other + 1
    end
  elseif status == 200 then
    if body:find('"active":true', 1, true) then active = active + 1 else inactive = inactive + 1 end
  elseif status == 403 then
    denied = denied + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local s = { issued = 0, active = 0, inactive = 0, denied = 0, other = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(s) do s[k] = s[k] + t:get(k) end
  end
  io.write(string.format("handoff: issued=%d active=%d inactive=%d denied=%d other=%d\n",
                         s.issued, s.active, s.inactive, s.denied, s.other))
end

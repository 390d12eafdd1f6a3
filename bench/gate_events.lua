-- wrk script: POST /api/v1/gate/events with unique event ids, persons taken in turn from
-- ZHIZHI_PERSONS (comma-separated ids enrolled on the device's project), direction alternating
-- per person, time = now in UTC. Environment: ZHIZHI_DEVICE_TOKEN, ZHIZHI_PERSONS.
-- The device must be registered with direction "both".
--
-- Event ids carry a run id (the time the script was loaded, or ZHIZHI_RUN), so a second run
-- against the same device does not replay the first run's events: a replay returns the stored
-- answer without writing and would measure the idempotency lookup instead of a pass.
--
-- The client shares the two cores with the server, so it is kept lean: the request's head is
-- built once, the time string once a second, and by default there is no response() callback —
-- for it wrk makes a Lua table of every response's headers, which cost a fifth of wrk's CPU
-- per request (docs/benchmarks.md). The answers are counted by the server instead: read
-- zhizhi_gate_events_total from /metrics after the run (scripts/lib.sh gate_answer_counts; a
-- figure with replays is not a figure of passes). ZHIZHI_CHECK_ANSWERS=1 counts them here too.
local token = os.getenv("ZHIZHI_DEVICE_TOKEN")
local run = os.getenv("ZHIZHI_RUN") or string.format("%d%03d", os.time(), math.floor(os.clock() * 1000) % 1000)
local persons = {}
for id in string.gmatch(os.getenv("ZHIZHI_PERSONS") or "", "[^,]+") do persons[#persons + 1] = id end
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local head, prefix
function init(args)
  head = "POST /api/v1/gate/events HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port ..
         "\r\nAuthorization: Bearer " .. token ..
         "\r\nContent-Type: application/json\r\nContent-Length: "
  prefix = '{"event_id":"w' .. run .. "-" .. tid .. "-"
end

local counter = 0
local inside = {}
local second, stamp = -1, ""
function request()
  counter = counter + 1
  local person = persons[(counter * 7 + tid) % #persons + 1]
  local direction = inside[person] and "out" or "in"
  inside[person] = not inside[person]
  local now = os.time()
  if now ~= second then second, stamp = now, os.date("!%Y-%m-%dT%H:%M:%SZ", now) end
  local body = prefix .. counter .. '","time":"' .. stamp .. '","person_id":' .. person ..
               ',"score":0.93,"direction":"' .. direction .. '"}'
  return head .. #body .. "\r\n\r\n" .. body
end

if os.getenv("ZHIZHI_CHECK_ANSWERS") == "1" then
  ok, other, replayed = 0, 0, 0
  function response(status, headers, body)
    if status == 200 then ok = ok + 1 else other = other + 1 end
    if string.find(body, '"replayed":true', 1, true) then replayed = replayed + 1 end
  end

  function done(summary, latency, requests)
    local o, x, r = 0, 0, 0
    for _, thread in ipairs(threads) do
      o = o + thread:get("ok")
      x = x + thread:get("other")
      r = r + thread:get("replayed")
    end
    io.write(string.format("answers: %d ok, %d not 200, %d replayed\n", o, x, r))
  end
end

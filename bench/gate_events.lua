-- wrk script: POST /api/v1/gate/events with unique event ids, persons taken in turn from
-- ZHIZHI_PERSONS (comma-separated ids enrolled on the device's project), direction alternating
-- per person, time = now in UTC. Environment: ZHIZHI_DEVICE_TOKEN, ZHIZHI_PERSONS.
-- The device must be registered with direction "both".
local token = os.getenv("ZHIZHI_DEVICE_TOKEN")
local persons = {}
for id in string.gmatch(os.getenv("ZHIZHI_PERSONS") or "", "[^,]+") do persons[#persons + 1] = id end
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
local inside = {}
function request()
  counter = counter + 1
  local person = persons[(counter * 7 + tid) % #persons + 1]
  local direction = inside[person] and "out" or "in"
  inside[person] = not inside[person]
  local body = string.format(
      '{"event_id":"w%d-%d","time":"%s","person_id":%s,"score":0.93,"direction":"%s"}',
      tid, counter, os.date("!%Y-%m-%dT%H:%M:%SZ"), person, direction)
  return wrk.format("POST", "/api/v1/gate/events",
                    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"},
                    body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- wrk script: GET /api/v1/persons/{id} over ids 1..N with the bearer token.
-- Environment: ZHIZHI_TOKEN, ZHIZHI_PERSONS (N).
local token = os.getenv("ZHIZHI_TOKEN")
local n = tonumber(os.getenv("ZHIZHI_PERSONS") or "1000")
local counter = 0
request = function()
  counter = counter + 1
  local id = (counter * 7919) % n + 1
  return wrk.format("GET", "/api/v1/persons/" .. id, { ["Authorization"] = "Bearer " .. token })
end

-- wrk script: single-event POSTs, each a new deployment (unique version), timestamps now,
-- spread over 40 streams. Used by http_load.py; the token comes from the environment.
local token = os.getenv("RR_TOKEN")
local counter = 0
local thread_tag = tostring(math.random(1, 1e9))

request = function()
  counter = counter + 1
  local body = string.format(
    '{"type":"deployment","model":"wrk-%d","version":"w%s-%d","timestamp":"%s"}',
    counter % 40, thread_tag, counter, os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", "/api/v1/events",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end

-- wrk script: single-event POSTs, each a new deployment (unique version), timestamps now,
-- spread over 40 streams. Used by http_load.py; the token comes from the environment.
local token = os.getenv("RR_TOKEN")
local counter = 0
-- Each thread's own tag, so threads never send the same version: math.random is seeded
-- alike in every thread, and a version sent twice to a stream is a redeploy or, with
-- others in between, an inferred rollback (most "deployments" were rolled back).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tag", threads)
end

function init(args)
  thread_tag = tostring(tag)
end

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

-- POST /dags/{dag_id}/dag_runs with an execution_date no other request of the benchmark uses.
--
--   wrk -s trigger.lua URL -- DAGS_FILE BASE_EPOCH
--
-- Request n of thread t is dated BASE_EPOCH + t * 10^7 + n seconds (UTC), so dates are unique
-- across threads as long as a thread sends fewer than 10^7 requests; bench/workloads.py moves
-- BASE_EPOCH past every earlier invocation. DAGs are taken in turn from DAGS_FILE (one id a line).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local dags = {}
local base = 0
local sent = 0

function init(args)
   for line in io.lines(args[1]) do
      dags[#dags + 1] = line
   end
   base = tonumber(args[2]) + (thread_id or 0) * 10000000
end

function request()
   sent = sent + 1
   local dag_id = dags[(sent + (thread_id or 0)) % #dags + 1]
   local date = os.date("!%Y-%m-%dT%H:%M:%S+00:00", base + sent)
   return wrk.format("POST", "/api/experimental/dags/" .. dag_id .. "/dag_runs", json_headers,
      '{"execution_date": "' .. date .. '"}')
end

-- Cycle through a list of requests prepared by bench/workloads.py.
--
--   wrk -s requests.lua URL -- FILE THREADS
--
-- FILE holds one request a line: METHOD <tab> PATH [<tab> JSON BODY]. Every request is formatted
-- once in init(); each thread starts at its own slice of the list so threads do not hit the same
-- rows in lockstep.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local prepared = {}
local cursor = 0

function init(args)
   for line in io.lines(args[1]) do
      local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
      if body == "" then
         prepared[#prepared + 1] = wrk.format(method, path)
      else
         prepared[#prepared + 1] = wrk.format(method, path, json_headers, body)
      end
   end
   local threads = tonumber(args[2]) or 1
   cursor = math.floor(#prepared / threads) * (thread_id or 0)
end

function request()
   cursor = cursor % #prepared + 1
   return prepared[cursor]
end

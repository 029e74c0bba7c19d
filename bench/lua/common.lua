-- Shared by every bench script (loaded with dofile): the bearer token, per-thread ids, counting of
-- non-2xx answers, and one machine-readable summary line that bench/loadgen.py parses.
--
-- wrk runs this file once in its main Lua state and once per thread. setup() runs in the main state
-- before each thread's init(), so every thread sees its own `thread_id` global.

wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "bench-token-0123456789")

-- wrk.format(method, path, headers, body) uses `headers` INSTEAD of wrk.headers: requests with a
-- body take this table, which keeps the Authorization header.
json_headers = { ["Content-Type"] = "application/json" }
for name, value in pairs(wrk.headers) do
   json_headers[name] = value
end

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads)
   table.insert(threads, thread)
end

-- Per-thread globals, read back in done() through thread:get().
non2xx = 0
first_error = nil

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_error == nil then
         first_error = status .. " " .. string.sub(body or "", 1, 300):gsub("[\r\n]", " ")
      end
   end
end

function done(summary, latency, requests)
   local bad, sample = 0, nil
   for _, t in ipairs(threads) do
      bad = bad + (t:get("non2xx") or 0)
      sample = sample or t:get("first_error")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
      '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
      summary.requests, summary.duration, summary.bytes, bad,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
   if sample then
      io.write("BENCH_FIRST_ERROR ", sample, "\n")
   end
end

-- bench/wrk_post.lua
--	  wrk script: POST the benchmark's bodies to the gateway, each thread
--	  cycling through its own share of them.
--
-- Usage: AUTOPLAY_TOKEN=... wrk -t T -c C -d D -s bench/wrk_post.lua URL \
--			  -- PAYLOADS.ndjson T
-- PAYLOADS holds one body a line.  Thread k of T takes lines k, k+T,
-- k+2T, ..., so that no two threads send the same body, and builds its
-- requests once, before the clock starts.

local counter = 0

-- setup: runs in the main state, once per thread, before init
function setup(thread)
	thread:set("thread_index", counter)
	counter = counter + 1
end

-- init: runs in each thread; reads this thread's share of the bodies
function init(args)
	local path = args[1]
	local threads = tonumber(args[2])
	local token = os.getenv("AUTOPLAY_TOKEN") or ""
	local headers = {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. token,
	}

	requests = {}
	local n = 0
	for line in io.lines(path) do
		if n % threads == thread_index then
			requests[#requests + 1] = wrk.format("POST", wrk.path, headers, line)
		end
		n = n + 1
	end
	if #requests == 0 then
		error("no bodies for thread " .. thread_index .. " in " .. path)
	end
	next_request = 1
end

-- request: the next body of this thread's share, round and round
function request()
	local r = requests[next_request]
	next_request = next_request % #requests + 1
	return r
end

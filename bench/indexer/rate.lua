-- wrk at a fixed request rate (wrk2 is not packaged in Debian): each thread hands out send
-- slots `interval` ms apart to its connections; a connection whose slot is in the past sends
-- at once. Latency is wrk's own, from the write of a request to its response (a request held
-- back by a slow server is not charged for the wait, as wrk2 would: read p99 with that in mind).
-- Usage: wrk -t T -c C -d 20s --latency -s rate.lua URL -- <ms between one thread's requests>
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")

local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval
local next_at

function init(args)
    interval = tonumber(args[1])
end

function delay()
    local now = now_ms()
    if next_at == nil then
        next_at = now
    end
    local wait = next_at - now
    next_at = next_at + interval
    if wait < 0 then
        return 0
    end
    return wait
end

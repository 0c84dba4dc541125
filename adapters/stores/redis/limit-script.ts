/**
 * The Lua port of `applyCheck` (src/limits/sliding-window.ts), step for step: the conformance
 * kit holds both to the same answers. It applies a batch of checks in order, in one atomic
 * script: KEYS[i] is the i-th check's subject state, ARGV[i] that check as JSON.
 *
 * Why the state is binary and the answer is numbers (docs/benchmarks.md, "Redis limit script"):
 * the script runs on the Redis server, once per check of every limited request, and JSON cost
 * it most of its time there. Encoding a full window (20 buckets) with cjson took about 6 µs and
 * decoding it 2–4 µs, because cjson formats and parses every number as text; `struct` packs the
 * same numbers as doubles in under 1 µs. The state keeps the reference's fields (per window id
 * `name:windowMs` its `[bucket, units]` pairs, flattened; the credits' balance, period start and
 * settings fingerprint) behind a 2-byte format tag, `L1`: a value without it (another format,
 * a foreign key) fails its check alone. The answer of a check is a flat array of integers the
 * store reads back against the check's own limits (./limit-reply.ts), so neither side encodes or
 * parses an outcome's JSON: `{status, retryAfterMs, creditsRemaining, creditsResetMs, then per
 * rate limit remaining, resetMs}`, status 0 allowed, 1 refused by a rate limit, 2 by the
 * credits, and -1 for an absent value. A check that fails answers its error's text instead
 * (`pcall` keeps it from failing the other checks of the batch).
 * @module
 */
export const CONSUME = `
local TAG = 'L1'
local BUCKETS = 20

-- The subject's state: usage per window id (flat: bucket, units, bucket, units…, oldest first)
-- and the credits, or empty for a subject never seen.
local function readState(raw)
  local windows = {}
  if not raw then return windows, nil end
  if string.sub(raw, 1, 2) ~= TAG then error('limit state: unknown format') end
  local count, pos = struct.unpack('<i4', raw, 3)
  for _ = 1, count do
    local id, n
    id, n, pos = struct.unpack('<si4', raw, pos)
    local flat = { struct.unpack('<' .. string.rep('d', 2 * n), raw, pos) }
    pos = table.remove(flat)
    windows[id] = flat
  end
  local credits = nil
  local has
  has, pos = struct.unpack('<i4', raw, pos)
  if has == 1 then
    local b, t, f = struct.unpack('<dds', raw, pos)
    credits = { b = b, t = t, f = f }
  end
  return windows, credits
end

-- Writes the state back: the windows that still count something, then the credits; a state
-- with credits is kept (a balance must not expire), a rate-only one expires with its longest
-- window, and an empty one is deleted.
local function writeState(key, windows, credits, lifetime)
  local parts = { TAG, '' }
  local count = 0
  for _, w in ipairs(windows) do
    local n = #w.usage
    if n > 0 then
      count = count + 1
      parts[#parts + 1] = struct.pack('<si4', w.id, n / 2)
      parts[#parts + 1] = struct.pack('<' .. string.rep('d', n), unpack(w.usage))
    end
  end
  parts[2] = struct.pack('<i4', count)
  if credits then
    parts[#parts + 1] = struct.pack('<i4dds', 1, credits.b, credits.t, credits.f)
    redis.call('SET', key, table.concat(parts))
  elseif count > 0 then
    parts[#parts + 1] = struct.pack('<i4', 0)
    redis.call('SET', key, table.concat(parts), 'PX', lifetime)
  else
    redis.call('DEL', key)
  end
end

local function consume(key, arg)
  local check = cjson.decode(arg)
  local stateW, stateC = readState(redis.call('GET', key))
  local now = check.now
  local cost = check.cost

  local windows = {}
  local taken = {}
  local rateDenied = false
  local never = false
  local rateWait = 0
  local lifetime = 1000
  for i, limit in ipairs(check.rate) do
    local size = math.ceil(limit.windowMs / BUCKETS)
    local id = limit.name .. ':' .. string.format('%d', limit.windowMs)
    -- The live buckets: those with any part inside (now - windowMs, now], filtered in place
    -- (the table is this call's own, just unpacked). A window named twice in one check gets a
    -- copy of its own, as each window of the reference does.
    local usage = stateW[id]
    if usage == nil then
      usage = {}
    elseif taken[id] then
      usage = { unpack(usage) }
    end
    taken[id] = true
    local used = 0
    local n = #usage
    local k = 0
    for j = 1, n, 2 do
      if (usage[j] + 1) * size > now - limit.windowMs then
        usage[k + 1] = usage[j]
        usage[k + 2] = usage[j + 1]
        used = used + usage[j + 1]
        k = k + 2
      end
    end
    for j = n, k + 1, -1 do usage[j] = nil end
    windows[i] = { limit = limit, id = id, usage = usage, used = used, size = size }
    if limit.windowMs + size > lifetime then lifetime = limit.windowMs + size end
    if used + cost > limit.limit then
      rateDenied = true
      local wait = nil
      if cost <= limit.limit then
        local left = used
        for j = 1, #usage, 2 do
          left = left - usage[j + 1]
          if left + cost <= limit.limit then
            wait = (usage[j] + 1) * size + limit.windowMs - now
            break
          end
        end
      end
      if wait == nil then never = true elseif wait > rateWait then rateWait = wait end
    end
  end

  local credits = nil
  local cfg = check.credits
  if cfg then
    local refill = cfg.refill
    local f = string.format('%d', cfg.remaining) .. ':'
    if refill then
      f = f .. string.format('%d', refill.amount) .. ':' .. string.format('%d', refill.intervalMs)
    else
      f = f .. ':'
    end
    if stateC and stateC.f == f then
      credits = { b = stateC.b, t = stateC.t, f = f }
    else
      credits = { b = cfg.remaining, t = now, f = f }
    end
    if refill and now >= credits.t + refill.intervalMs then
      credits.t = credits.t + math.floor((now - credits.t) / refill.intervalMs) * refill.intervalMs
      if refill.amount > credits.b then credits.b = refill.amount end
    end
  end

  local creditShort = credits ~= nil and credits.b < cost
  local allowed = (not rateDenied) and not creditShort
  if allowed then
    for _, w in ipairs(windows) do
      local bucket = math.floor(now / w.size)
      local n = #w.usage
      if n > 0 and w.usage[n - 1] == bucket then
        w.usage[n] = w.usage[n] + cost
      else
        w.usage[n + 1] = bucket
        w.usage[n + 2] = cost
      end
      w.used = w.used + cost
    end
    if credits then credits.b = credits.b - cost end
  end

  writeState(key, windows, credits, lifetime)

  local answer = { 0, -1, -1, -1 }
  for _, w in ipairs(windows) do
    local remaining = w.limit.limit - w.used
    if remaining < 0 then remaining = 0 end
    local reset = 0
    local n = #w.usage
    if n > 0 then reset = (w.usage[n - 1] + 1) * w.size + w.limit.windowMs - now end
    answer[#answer + 1] = remaining
    answer[#answer + 1] = reset
  end
  if credits then
    answer[3] = credits.b
    if cfg.refill then answer[4] = credits.t + cfg.refill.intervalMs - now end
  end
  if not allowed then
    if creditShort then
      answer[1] = 2
      answer[2] = answer[4]
    else
      answer[1] = 1
      if not never then answer[2] = rateWait end
    end
  end
  return answer
end

local out = {}
for i = 1, #KEYS do
  local ok, answer = pcall(consume, KEYS[i], ARGV[i])
  if ok then
    out[i] = answer
  else
    if type(answer) == 'table' then answer = answer.err end
    out[i] = tostring(answer)
  end
end
return out
`

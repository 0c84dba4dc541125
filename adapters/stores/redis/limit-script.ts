/**
 * The Lua port of `applyLimitCheck` (src/limits/sliding-window.ts), line for line: the
 * conformance kit holds both to the same answers. It applies a batch of checks in order, in one
 * atomic script: KEYS[i] is the i-th check's subject state (JSON), ARGV[i] that check as JSON.
 * Returns one JSON string per check: its outcome, or `{"error":…}` when that check alone failed
 * (bad state or argument; `pcall` keeps it from failing the other checks of the batch).
 * @module
 */
export const CONSUME = `
local function consume(key, arg)
  local check = cjson.decode(arg)
  local raw = redis.call('GET', key)
  local state = {}
  if raw then state = cjson.decode(raw) end
  local stateW = state.w or {}
  local now = check.now
  local cost = check.cost
  local BUCKETS = 20

  local windows = {}
  local rateDenied = false
  local never = false
  local rateWait = 0
  local lifetime = 1000
  for i, limit in ipairs(check.rate) do
    local size = math.ceil(limit.windowMs / BUCKETS)
    local id = limit.name .. ':' .. string.format('%d', limit.windowMs)
    local usage = {}
    local used = 0
    for _, b in ipairs(stateW[id] or {}) do
      if (b[1] + 1) * size > now - limit.windowMs then
        usage[#usage + 1] = { b[1], b[2] }
        used = used + b[2]
      end
    end
    windows[i] = { limit = limit, id = id, usage = usage, used = used, size = size }
    if limit.windowMs + size > lifetime then lifetime = limit.windowMs + size end
    if used + cost > limit.limit then
      rateDenied = true
      local wait = nil
      if cost <= limit.limit then
        local left = used
        for _, b in ipairs(usage) do
          left = left - b[2]
          if left + cost <= limit.limit then
            wait = (b[1] + 1) * size + limit.windowMs - now
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
    local c = state.c
    if c and c.f == f then
      credits = { b = c.b, t = c.t, f = f }
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
      local last = w.usage[#w.usage]
      if last and last[1] == bucket then
        last[2] = last[2] + cost
      else
        w.usage[#w.usage + 1] = { bucket, cost }
      end
      w.used = w.used + cost
    end
    if credits then credits.b = credits.b - cost end
  end

  local nextW = {}
  local any = false
  local rate = {}
  for i, w in ipairs(windows) do
    if #w.usage > 0 then
      nextW[w.id] = w.usage
      any = true
    end
    local remaining = w.limit.limit - w.used
    if remaining < 0 then remaining = 0 end
    local reset = 0
    local last = w.usage[#w.usage]
    if last then reset = (last[1] + 1) * w.size + w.limit.windowMs - now end
    rate[i] = { name = w.limit.name, limit = w.limit.limit, windowMs = w.limit.windowMs,
      remaining = remaining, resetMs = reset }
  end

  if credits then
    redis.call('SET', key, cjson.encode({ w = nextW, c = credits }))
  elseif any then
    redis.call('SET', key, cjson.encode({ w = nextW }), 'PX', lifetime)
  else
    redis.call('DEL', key)
  end

  local outcome = { allowed = allowed, rate = rate }
  if credits then
    if cfg.refill then
      outcome.credits = { remaining = credits.b, resetMs = credits.t + cfg.refill.intervalMs - now }
    else
      outcome.credits = { remaining = credits.b }
    end
  end
  if not allowed then
    if creditShort then
      outcome.deniedBy = 'credits'
      if outcome.credits.resetMs then outcome.retryAfterMs = outcome.credits.resetMs end
    else
      outcome.deniedBy = 'rate'
      if not never then outcome.retryAfterMs = rateWait end
    end
  end
  return cjson.encode(outcome)
end

local out = {}
for i = 1, #KEYS do
  local ok, answer = pcall(consume, KEYS[i], ARGV[i])
  if ok then
    out[i] = answer
  else
    if type(answer) == 'table' then answer = answer.err end
    out[i] = cjson.encode({ error = tostring(answer) })
  end
end
return out
`

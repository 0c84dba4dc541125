/**
 * The Lua scripts of {@link RedisKeyStore}: each write (and each page of a list) is one script,
 * so one round trip and atomic. Keys are derived in the script from the namespace (`ARGV[1]`):
 * on Redis Cluster the namespace must carry a hash tag so that they share one slot.
 * Internal: not exported from the package.
 * @module
 */
import { createHash } from 'node:crypto'

/** A script and its SHA-1 for `EVALSHA`. */
export interface Script {
  source: string
  sha: string
}

// Helpers every script starts with. Null fields are stored as '' (0.1 did the same); a field a
// 0.1 record lacks reads as absent (false), which `str` treats as null too.
const PRELUDE = `
local ns = ARGV[1]
local function str(v) if v == false or v == nil or v == '' then return nil end return v end
local function num(v) v = str(v) if v == nil then return nil end return tonumber(v) end
local function rkey(hash) return ns .. 'key:' .. hash end
local function get(k, f) return redis.call('HGET', k, f) end
local function fmt(n) return string.format('%.0f', n) end
-- Effective expiry (own expiry or grace end, the earlier), nil for never.
local function expiry(k)
  local e, g = num(get(k, 'expiresAt')), num(get(k, 'graceEndsAt'))
  if e == nil then return g end
  if g == nil then return e end
  return math.min(e, g)
end
local function status(k, at)
  if str(get(k, 'revokedAt')) then return 'revoked' end
  local e = expiry(k)
  if e ~= nil and e <= at then return 'expired' end
  if str(get(k, 'disabledAt')) then return 'disabled' end
  return 'active'
end
-- Resolves an id to its record key if the owner matches (owner nil: any owner).
local function owned(id, owner)
  local hash = redis.call('GET', ns .. 'id:' .. id)
  if not hash then return nil, nil end
  local k = rkey(hash)
  if owner ~= nil and get(k, 'userId') ~= owner then return nil, nil end
  return hash, k
end
-- Replay log and push: every instance's cache evicts 'hash'. 'cutoff' trims the log.
local function announce(hash, score, cutoff)
  redis.call('ZADD', ns .. 'revoked', score, hash)
  redis.call('ZREMRANGEBYSCORE', ns .. 'revoked', '-inf', '(' .. cutoff)
  redis.call('PUBLISH', ns .. 'revoked', hash)
end
local function pad(ms) return string.rep('0', 16 - #ms) .. ms end
`

// ARGV: ns, hash, id, userId, pageMember, max ('' = no cap), keyPrefix, at, fields…
// Fails unless both the hash and the id are new; with a cap, refuses (0) when the owner holds
// max keys of that prefix that are neither revoked nor expired at 'at'.
const INSERT = `${PRELUDE}
local hash, id, owner = ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', rkey(hash)) == 1 then return redis.error_reply('ERR duplicate key hash') end
if redis.call('EXISTS', ns .. 'id:' .. id) == 1 then return redis.error_reply('ERR duplicate key id') end
local max = num(ARGV[6])
if max ~= nil then
  local prefix, at, held = ARGV[7], tonumber(ARGV[8]), 0
  for _, other in ipairs(redis.call('SMEMBERS', ns .. 'user:' .. owner)) do
    local _, k = owned(other, nil)
    if k ~= nil and string.sub(get(k, 'keyPrefix') or '', 1, #prefix) == prefix then
      local s = status(k, at)
      if s == 'active' or s == 'disabled' then held = held + 1 end
    end
  end
  if held >= max then return 0 end
end
redis.call('HSET', rkey(hash), unpack(ARGV, 9))
redis.call('SET', ns .. 'id:' .. id, hash)
redis.call('SADD', ns .. 'user:' .. owner, id)
redis.call('ZADD', ns .. 'page:' .. owner, 0, ARGV[5])
return 1`

// ARGV: ns, id, userId, at, reason, cutoff. Owner check, first revokedAt (and reason) wins,
// replay log, then PUBLISH: all or nothing. Answers { hash, fields } or nil.
const REVOKE = `${PRELUDE}
local hash, k = owned(ARGV[2], ARGV[3])
if k == nil then return false end
if not str(get(k, 'revokedAt')) then
  redis.call('HSET', k, 'revokedAt', ARGV[4], 'revokedReason', ARGV[5])
  redis.call('ZADD', ns .. 'revoked', tonumber(ARGV[4]), hash)
  redis.call('ZREMRANGEBYSCORE', ns .. 'revoked', '-inf', '(' .. ARGV[6])
end
redis.call('PUBLISH', ns .. 'revoked', hash)
return { hash, redis.call('HGETALL', k) }`

// ARGV: ns, id, userId, at ('' enables), now, cutoff.
const SET_DISABLED = `${PRELUDE}
local hash, k = owned(ARGV[2], ARGV[3])
if k == nil then return false end
if not str(get(k, 'revokedAt')) then
  local current = str(get(k, 'disabledAt'))
  if (ARGV[4] == '') ~= (current == nil) then
    redis.call('HSET', k, 'disabledAt', ARGV[4])
    announce(hash, tonumber(ARGV[5]), ARGV[6])
  end
end
return { hash, redis.call('HGETALL', k) }`

// ARGV: ns, id, userId, expectedScopes (JSON), expectedExpiresAt, now, cutoff, expectedExtra
// ('' for no check, else '=' and the stored extra JSON), field/value…
// Compare-and-set: { 1, hash, fields } applied, { 0, hash, fields } conflict, nil unknown.
const UPDATE = `${PRELUDE}
local hash, k = owned(ARGV[2], ARGV[3])
if k == nil then return false end
if str(get(k, 'revokedAt')) or get(k, 'scopes') ~= ARGV[4] or (get(k, 'expiresAt') or '') ~= ARGV[5]
  or (ARGV[8] ~= '' and '=' .. (get(k, 'extra') or '') ~= ARGV[8]) then
  return { 0, hash, redis.call('HGETALL', k) }
end
if #ARGV > 8 then redis.call('HSET', k, unpack(ARGV, 9)) end
announce(hash, tonumber(ARGV[6]), ARGV[7])
return { 1, hash, redis.call('HGETALL', k) }`

// ARGV: ns, id, userId, at, graceMs, graceStarts, nextId, nextHash, nextPrefix, nextCreatedAt,
// nextCreatedBy, nextMember, now, cutoff. See KeyStore.roll.
const ROLL = `${PRELUDE}
local hash, k = owned(ARGV[2], ARGV[3])
if k == nil then return false end
local at, grace, starts = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local refusal = nil
local e = expiry(k)
if str(get(k, 'revokedAt')) then refusal = 'revoked'
elseif e ~= nil and e <= at then refusal = 'expired'
elseif str(get(k, 'disabledAt')) then refusal = 'disabled'
elseif str(get(k, 'replacedBy')) then refusal = 'replaced' end
if refusal then return { 0, refusal, hash, redis.call('HGETALL', k) } end
local nextId, nextHash = ARGV[7], ARGV[8]
local nk = rkey(nextHash)
if redis.call('EXISTS', nk) == 1 then return redis.error_reply('ERR duplicate key hash') end
if redis.call('EXISTS', ns .. 'id:' .. nextId) == 1 then return redis.error_reply('ERR duplicate key id') end
-- The new record: every field of the old one (unknown ones included), then its identity.
redis.call('HSET', nk, unpack(redis.call('HGETALL', k)))
local firstUse = ''
if starts == 'firstUse' and grace > 0 then firstUse = ARGV[5] end
redis.call('HSET', nk, 'id', nextId, 'keyPrefix', ARGV[9], 'createdAt', ARGV[10],
  'createdBy', ARGV[11], 'lastUsedAt', '', 'revokedAt', '', 'revokedReason', '',
  'disabledAt', '', 'replacedBy', '', 'rolledFrom', ARGV[2], 'graceEndsAt', '',
  'firstUseGraceMs', firstUse)
local owner = ARGV[3]
redis.call('SET', ns .. 'id:' .. nextId, nextHash)
redis.call('SADD', ns .. 'user:' .. owner, nextId)
redis.call('ZADD', ns .. 'page:' .. owner, 0, ARGV[12])
-- Retire the old key.
redis.call('HSET', k, 'replacedBy', nextId)
if grace == 0 then
  redis.call('HSET', k, 'revokedAt', ARGV[4], 'revokedReason', 'rotated')
elseif starts == 'now' then
  local ends = at + grace
  if e ~= nil and e < ends then ends = e end
  redis.call('HSET', k, 'graceEndsAt', fmt(ends))
end
-- Rolling again within a grace ends the first key's grace now.
local endedHash, endedFields = '', {}
local from = str(get(k, 'rolledFrom'))
if from then
  local ph, pk = owned(from, owner)
  if pk ~= nil and not str(get(pk, 'revokedAt')) then
    local g = num(get(pk, 'graceEndsAt'))
    if g == nil or g > at then
      redis.call('HSET', pk, 'graceEndsAt', ARGV[4])
      redis.call('HSET', k, 'firstUseGraceMs', '')
      endedHash, endedFields = ph, redis.call('HGETALL', pk)
      announce(ph, tonumber(ARGV[13]), ARGV[14])
    end
  end
end
announce(hash, tonumber(ARGV[13]), ARGV[14])
return { 1, hash, redis.call('HGETALL', k), nextHash, redis.call('HGETALL', nk), endedHash, endedFields }`

// ARGV: ns, id, at, now, cutoff. See KeyStore.startRollGrace: { oldHash, fields } or nil.
const START_GRACE = `${PRELUDE}
local _, nk = owned(ARGV[2], nil)
if nk == nil then return false end
local from = str(get(nk, 'rolledFrom'))
if from == nil then return false end
local hash, k = owned(from, get(nk, 'userId'))
if k == nil then return false end
local grace = num(get(nk, 'firstUseGraceMs'))
if grace ~= nil then
  redis.call('HSET', nk, 'firstUseGraceMs', '')
  if not str(get(k, 'graceEndsAt')) and not str(get(k, 'revokedAt')) then
    local ends = tonumber(ARGV[3]) + grace
    local e = expiry(k)
    if e ~= nil and e < ends then ends = e end
    redis.call('HSET', k, 'graceEndsAt', fmt(ends))
    announce(hash, tonumber(ARGV[4]), ARGV[5])
  end
end
return { hash, redis.call('HGETALL', k) }`

// ARGV: ns, userId, keyPrefix, status, at, after ('' = from the start), limit.
// The page index 'page:<userId>' is a sorted set of '<createdAt, 16 digits>:<id>' (all score
// 0, so ordered by member): records written by 0.1 are not in it yet, so it is completed from
// the user's set whenever their sizes differ.
const LIST_PAGE = `${PRELUDE}
local owner, prefix, wanted, at, limit = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[7])
local uk, pk = ns .. 'user:' .. owner, ns .. 'page:' .. owner
if redis.call('SCARD', uk) ~= redis.call('ZCARD', pk) then
  for _, id in ipairs(redis.call('SMEMBERS', uk)) do
    local _, k = owned(id, nil)
    local created = k and str(get(k, 'createdAt'))
    if created then redis.call('ZADD', pk, 0, pad(created) .. ':' .. id) end
  end
end
local out = {}
local min = '-'
if ARGV[6] ~= '' then min = '(' .. ARGV[6] end
while #out < limit do
  local batch = redis.call('ZRANGEBYLEX', pk, min, '+', 'LIMIT', 0, 256)
  if #batch == 0 then break end
  for _, member in ipairs(batch) do
    local id = string.sub(member, 18)
    local hash, k = owned(id, owner)
    if k ~= nil and string.sub(get(k, 'keyPrefix') or '', 1, #prefix) == prefix
      and (wanted == 'all' or status(k, at) == wanted) then
      out[#out + 1] = { hash, redis.call('HGETALL', k) }
      if #out >= limit then break end
    end
  end
  min = '(' .. batch[#batch]
end
return out`

// lastUsedAt only moves forward.
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = redis.call('HGET', KEYS[1], 'lastUsedAt')
if not current or current == '' or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1])
  return 1
end
return 0`

// Pepper rotation: moves a record to a new digest key if its id still points at `from`
// (KEYS: id key, old record key, new record key; ARGV: from, to). No prelude: no namespace needed.
const REHASH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
redis.call('SET', KEYS[1], ARGV[2])
return 1`

const script = (source: string): Script => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
})

/** Every script of the store. */
export const SCRIPTS = {
  insert: script(INSERT),
  revoke: script(REVOKE),
  touch: script(TOUCH),
  setDisabled: script(SET_DISABLED),
  update: script(UPDATE),
  roll: script(ROLL),
  startGrace: script(START_GRACE),
  listPage: script(LIST_PAGE),
  rehash: script(REHASH),
}

/** The page index member of a record: `<createdAt, 16 digits>:<id>`, ordered as listPage. */
export const pageMember = (createdAt: Date, id: string): string =>
  `${String(createdAt.getTime()).padStart(16, '0')}:${id}`

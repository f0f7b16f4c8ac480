package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts that make each write atomic together with its directory's sets. Each one that
// runs for a key takes KEYS as ref.keys (the record, then, for a key in a directory, its name
// set and expiry set) and ARGV as Store.run sends them: the key's name, the time in Unix
// milliseconds, then its own arguments. Counts travel as decimal strings, since Lua's numbers
// lose precision past 2^53.

// prelude defines index, which records a write of a record that expires in ttl ms (0 for
// never) in its directory's sets and removes up to 16 overdue names from them, and less, which
// compares two decimal integers.
const prelude = `
local function index(ttl)
  if #KEYS < 3 then return end
  local name, now = ARGV[1], tonumber(ARGV[2])
  redis.call('ZADD', KEYS[2], 0, name)
  if ttl <= 0 then
    redis.call('ZREM', KEYS[3], name)
    return
  end
  redis.call('ZADD', KEYS[3], now + ttl, name)
  local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 16)
  for _, n in ipairs(due) do
    local left = redis.call('PTTL', KEYS[2] .. n)
    if left == -2 then
      redis.call('ZREM', KEYS[2], n)
      redis.call('ZREM', KEYS[3], n)
    elseif left == -1 then
      redis.call('ZREM', KEYS[3], n)
    else
      redis.call('ZADD', KEYS[3], now + left, n)
    end
  end
end

local function less(a, b)
  local an, bn = string.byte(a, 1) == 45, string.byte(b, 1) == 45
  if an ~= bn then return an end
  if #a ~= #b then return (#a < #b) ~= an end
  if a == b then return false end
  return (a < b) ~= an
end
`

// putScript stores a value. ARGV[3] is the mode ("set", "nx" when the key must be absent,
// "cas" when it must hold ARGV[6]), ARGV[4] the tagged value, ARGV[5] the ttl in ms. It returns
// 1 when it stored the value, 0 otherwise.
var putScript = goredis.NewScript(prelude + `
local mode, ttl = ARGV[3], tonumber(ARGV[5])
if mode == 'nx' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif mode == 'cas' then
  if redis.call('GET', KEYS[1]) ~= ARGV[6] then return 0 end
end
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[4])
end
index(ttl)
return 1
`)

// deleteScript deletes a record and its name. It returns the number of records deleted.
var deleteScript = goredis.NewScript(`
local n = redis.call('DEL', KEYS[1])
if #KEYS == 3 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return n
`)

// addScript adds ARGV[3] to a counter. It returns the new count, or INCRBY's error.
var addScript = goredis.NewScript(prelude + `
redis.call('INCRBY', KEYS[1], ARGV[3])
index(0)
return redis.call('GET', KEYS[1])
`)

// maxScript raises a counter to ARGV[3]. It returns the count it then holds, or a WRONGKIND
// error for a value.
var maxScript = goredis.NewScript(prelude + `
local cur = redis.call('GET', KEYS[1])
if cur and string.byte(cur, 1) == 58 then
  return redis.error_reply('WRONGKIND the key holds a value')
end
if not cur then cur = '0' end
if less(cur, ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[3])
  index(0)
  return ARGV[3]
end
return cur
`)

// scanScript lists a directory. KEYS are its name set and expiry set; ARGV[1] is the name to
// list after ("" for the first), ARGV[2] the most names to return. It returns name, raw record,
// name, raw record…, and removes the names of records that are gone.
var scanScript = goredis.NewScript(`
local limit = tonumber(ARGV[2])
local start = '-'
if ARGV[1] ~= '' then start = '(' .. ARGV[1] end
local out, found = {}, 0
while found < limit do
  local names = redis.call('ZRANGEBYLEX', KEYS[1], start, '+', 'LIMIT', 0, limit - found)
  if #names == 0 then break end
  for _, name in ipairs(names) do
    local v = redis.call('GET', KEYS[1] .. name)
    if v then
      out[#out + 1] = name
      out[#out + 1] = v
      found = found + 1
    else
      redis.call('ZREM', KEYS[1], name)
      redis.call('ZREM', KEYS[2], name)
    end
  end
  start = '(' .. names[#names]
end
return out
`)

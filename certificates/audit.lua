-- The hash-chained audit log, appended inside the same script as the operation it records.
-- Each element of the list PREFIX:audit:log is "<hash> <prev> <entry_json>" where
-- entry_json is canonical JSON (keys sorted, no whitespace, integers printed exactly) of
-- {seq, op, request_id, time, lots (every lot touched, all fields after the op), [trade],
-- request (the signed request), sig (its signature, "" when the ledger has no key)},
-- and hash = sha1hex(prev .. entry_json). Redis Lua offers redis.sha1hex only, no SHA-256;
-- see certificates/audit.py for why SHA-1 is acceptable here. The first prev is 40 zeros.
-- PREFIX:audit:head holds the seq and hash of the last entry.
local GENESIS = string.rep('0', 40)

local json_value

local function json_object(tbl)
  local names = {}
  for name in pairs(tbl) do
    names[#names + 1] = name
  end
  table.sort(names)
  local parts = {}
  for i, name in ipairs(names) do
    parts[i] = cjson.encode(name) .. ':' .. json_value(tbl[name])
  end
  return '{' .. table.concat(parts, ',') .. '}'
end

-- Strings and integers only (lot fields are strings); arrays are tables with element 1.
json_value = function(value)
  if type(value) == 'number' then
    return int(value)
  end
  if type(value) ~= 'table' then
    return cjson.encode(value)
  end
  if value[1] == nil then
    return json_object(value)
  end
  local parts = {}
  for i, item in ipairs(value) do
    parts[i] = json_value(item)
  end
  return '[' .. table.concat(parts, ',') .. ']'
end

-- Append one entry for operation `op` that touched `lots`; `trade` is the money leg of a
-- green-power trade or nil; `extra` (or nil) holds more top-level fields of the entry.
local function append_log(op, lots, trade, extra)
  local head_key = k('audit', 'head')
  local head = redis.call('HMGET', head_key, 'seq', 'hash')
  local seq = tonumber(head[1] or '0') + 1
  local prev = head[2] or GENESIS
  local entry = {
    seq = seq, op = op, request_id = REQUEST_ID, lots = lots,
    time = tonumber(redis.call('TIME')[1]), trade = trade,
    request = SIGNED_REQUEST, sig = SIGNATURE,
  }
  for name, value in pairs(extra or {}) do
    entry[name] = value
  end
  local body = json_object(entry)
  local hash = redis.sha1hex(prev .. body)
  redis.call('RPUSH', k('audit', 'log'), hash .. ' ' .. prev .. ' ' .. body)
  redis.call('HSET', head_key, 'seq', int(seq), 'hash', hash)
end

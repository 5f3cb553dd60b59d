-- Helpers prepended (with audit.lua) to every mutation script when it is loaded.
-- KEYS[1] is the request key, ARGV[1] the key prefix carrying the hash tag, ARGV[2] the
-- request fingerprint (SHA-256 of the signed request). Every other key is built from the prefix, so all share one slot.
-- A script validates everything before its first write: error replies do not roll back.
-- ARGV[3] and ARGV[4] are the signed request (canonical JSON of the operation and its
-- parameters) and its signature (HMAC-SHA256 made by the service, see
-- certificates/signing.py); they go into the audit entry and are taken out of ARGV here,
-- so every script reads its own parameters from ARGV[3] on.
local PREFIX = ARGV[1]
local FINGERPRINT = ARGV[2]
local SIGNED_REQUEST = table.remove(ARGV, 3)
local SIGNATURE = table.remove(ARGV, 3)
local REQUEST_KEY = KEYS[1]
-- The request key is PREFIX .. ':request:' .. request_id.
local REQUEST_ID = string.sub(REQUEST_KEY, #PREFIX + #':request:' + 1)

local function k(...)
  return PREFIX .. ':' .. table.concat({...}, ':')
end

-- tostring() prints %.14g; serials and Wh must stay exact integers (exact up to 2^53).
local function int(n)
  return string.format('%d', n)
end

local function fail(code, detail)
  return redis.error_reply(code .. ':' .. detail)
end

-- The stored result of an earlier run of this request, or an error when the id was reused
-- with different parameters; both nil for a new request.
local function previous_result()
  local stored = redis.call('HMGET', REQUEST_KEY, 'fingerprint', 'result')
  if not stored[1] then
    return nil, nil
  end
  if stored[1] ~= FINGERPRINT then
    return nil, fail('DUPLICATE', 'request')
  end
  return stored[2], nil
end

-- KEYS[2], when given, is the ledger's change feed (a stream in the same slot): each
-- mutation appends its operation and result there in the same atomic step, under an id
-- fixed by the request, for whoever turns changes into events (the certificate service).
-- `actor` is the enterprise whose request it was (owner, sender or seller); `event_id`
-- defaults to one fixed by the operation and request id.
local function finish(value, actor, event_id)
  local result = cjson.encode(value)
  redis.call('HSET', REQUEST_KEY, 'fingerprint', FINGERPRINT, 'result', result)
  if KEYS[2] then
    redis.call('XADD', KEYS[2], '*', 'c', 'certificates.ledger', 'o', OPERATION,
      'i', event_id or ('ledger-' .. OPERATION .. '-' .. REQUEST_ID), 'a', actor, 'd', result)
  end
  return result
end

local function load_lot(lot_id)
  local raw = redis.call('HGETALL', k('lot', lot_id))
  if #raw == 0 then
    return nil
  end
  local lot = {}
  for i = 1, #raw, 2 do
    lot[raw[i]] = raw[i + 1]
  end
  return lot
end

local function save_lot(lot)
  local flat = {}
  for field, value in pairs(lot) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  redis.call('HSET', k('lot', lot.lot_id), unpack(flat))
end

local function index_keys(lot)
  return {
    k('idx', 'all'),
    k('idx', 'status', lot.status),
    k('idx', 'owner', lot.owner_enterprise_id),
    k('idx', 'owner-status', lot.status, lot.owner_enterprise_id),
  }
end

-- Every lot change passes through unindex (old owner) and index (new owner): each bumps
-- the owner's version, so a plan made on an owner's lots (a contract delivery, see
-- deliver.lua) can tell whether any of them changed since.
local function bump_owner(lot)
  redis.call('HINCRBY', k('owner-version'), lot.owner_enterprise_id, 1)
end

-- Active lots are also indexed by expiry (epoch s), for the expiry sweep (expire.lua).
local function index(lot)
  bump_owner(lot)
  for _, key in ipairs(index_keys(lot)) do
    redis.call('ZADD', key, lot.seq, lot.lot_id)
  end
  if lot.status == 'ACTIVE' and lot.expires_at and lot.expires_at ~= '' then
    redis.call('ZADD', k('idx', 'expiry'), lot.expires_at, lot.lot_id)
  end
end

local function unindex(lot)
  bump_owner(lot)
  for _, key in ipairs(index_keys(lot)) do
    redis.call('ZREM', key, lot.lot_id)
  end
  redis.call('ZREM', k('idx', 'expiry'), lot.lot_id)
end

local function add(key, field, wh)
  redis.call('HINCRBY', key, field, int(wh))
end

-- Per (generator, production hour) counters: issued_wh = active_wh + retired_wh. One hash
-- per counter, field "<hour epoch s>:<generator>" (the hour has no ':' so it splits once).
local function add_hour(lot, counter, wh)
  add(k('gen-hour', counter), lot.production_hour_start .. ':' .. lot.generator_asset_id, wh)
end

local function new_lot_id()
  local seq = redis.call('INCR', k('seq', 'lot'))
  return string.format('GEC-%012d', seq), int(seq)
end

-- The lot `owner` may act on, or an error: owner is checked before status so that a
-- stranger learns nothing about the lot.
local function owned_active_lot(lot_id, owner)
  local lot = load_lot(lot_id)
  if not lot then
    return nil, fail('NOT_FOUND', lot_id)
  end
  if lot.owner_enterprise_id ~= owner then
    return nil, fail('NOT_OWNER', lot_id)
  end
  if lot.status == 'EXPIRED' then
    return nil, fail('EXPIRED', lot_id .. ':' .. lot.expires_at)
  end
  if lot.status ~= 'ACTIVE' then
    return nil, fail('RETIRED', lot_id)
  end
  return lot, nil
end

-- Like owned_active_lot, and still valid at `at` (epoch s): expired lots cannot be
-- transferred, sold or retired, whether or not the expiry sweep has marked them yet.
local function owned_valid_lot(lot_id, owner, at)
  local lot, err = owned_active_lot(lot_id, owner)
  if err then
    return nil, err
  end
  if tonumber(lot.expires_at) <= tonumber(at) then
    return nil, fail('EXPIRED', lot_id .. ':' .. lot.expires_at)
  end
  return lot, nil
end

-- Cut the LOW serials [serial_start, serial_start + wh) off `lot` into a new child lot;
-- `lot` keeps its id and the high serials. The caller saves both.
local function split(lot, wh)
  local part = {}
  for field, value in pairs(lot) do
    part[field] = value
  end
  local start = tonumber(lot.serial_start)
  part.lot_id, part.seq = new_lot_id()
  part.parent_lot_id = lot.lot_id
  part.energy_wh = int(wh)
  part.serial_end = int(start + wh)
  lot.serial_start = int(start + wh)
  lot.energy_wh = int(tonumber(lot.energy_wh) - wh)
  return part
end

-- The part of `lot` an operation on `wh` Wh acts on (0 = whole lot) and the remainder,
-- or an error when the lot holds less. Unindexes `lot`; the caller re-indexes both.
local function take(lot, wh)
  local have = tonumber(lot.energy_wh)
  if wh == 0 then
    wh = have
  end
  if wh > have then
    return nil, nil, 0, fail('INSUFFICIENT', int(have) .. ':' .. int(wh))
  end
  unindex(lot)
  if wh == have then
    return lot, nil, wh, nil
  end
  return split(lot, wh), lot, wh, nil
end

-- Save and index a lot and, after a split, its remainder.
local function save_parts(part, rest)
  save_lot(part)
  index(part)
  if rest then
    save_lot(rest)
    index(rest)
  end
end

-- Hand `wh` Wh (0 = whole lot) of `lot` from `sender` to `receiver` under `trade_id`:
-- the moved part, the remainder, the Wh moved, or an error.
local function hand_over(lot, wh, sender, receiver, trade_id)
  local moved, rest, moved_wh, err = take(lot, wh)
  if err then
    return nil, nil, 0, err
  end
  moved.owner_enterprise_id = receiver
  moved.trade_id = trade_id
  save_parts(moved, rest)
  add(k('balance', sender), 'active_wh', -moved_wh)
  add(k('balance', receiver), 'active_wh', moved_wh)
  return moved, rest, moved_wh, nil
end

-- The stored reply of a replayed request, or an error; nil when the request is new.
local function replayed()
  local done, err = previous_result()
  return err or done
end

-- A record (trade or mandate) stored as a flat hash; nil when there is none.
local function load_record(key)
  local raw = redis.call('HGETALL', key)
  if #raw == 0 then
    return nil
  end
  local record = {}
  for i = 1, #raw, 2 do
    record[raw[i]] = raw[i + 1]
  end
  return record
end

local function save_record(key, record)
  local flat = {}
  for field, value in pairs(record) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  redis.call('HSET', key, unpack(flat))
end

-- The trade `party` may act on as `role` ('buyer' or 'seller'), or an error worded alike for
-- an unknown trade and another enterprise's, so nothing leaks about other tenants.
local function party_trade(trade_id, party, role)
  local trade = load_record(k('trade', trade_id))
  if not trade or trade[role .. '_enterprise_id'] ~= party then
    return nil, fail('TRADE_NOT_FOUND', trade_id)
  end
  return trade, nil
end

-- An agreed-to-be trade that can still be accepted or settled at `at`, or an error.
local function open_trade(trade, at)
  if trade.state == 'SETTLED' then
    return fail('TRADE_EXISTS', trade.trade_id)
  end
  if trade.state ~= 'PROPOSED' and trade.state ~= 'ACCEPTED' then
    return fail('TRADE_STATE', trade.trade_id .. ':' .. trade.state)
  end
  if tonumber(trade.expires_at) <= tonumber(at) then
    return fail('TRADE_EXPIRED', trade.trade_id .. ':' .. trade.expires_at)
  end
  return nil
end

-- The first (by id) active mandate of `grantor` for `scope` to `grantee` that covers `wh`
-- more Wh at `at` (and, for buy_green, `price` from `counterparty`), or nil.
local function covering_mandate(grantor, scope, grantee, wh, at, price, counterparty)
  local ids = redis.call('SMEMBERS', k('mandates-by-scope', grantor, scope))
  table.sort(ids)
  for _, mandate_id in ipairs(ids) do
    local m = load_record(k('mandate', mandate_id))
    local fits = m and m.state == 'ACTIVE' and m.grantee == grantee
      and tonumber(m.expires_at) > tonumber(at)
      and (m.max_energy_wh == '0' or tonumber(m.used_wh) + wh <= tonumber(m.max_energy_wh))
      and (m.counterparty_enterprise_id == '' or m.counterparty_enterprise_id == counterparty)
      and (price == nil or tonumber(price) <= tonumber(m.max_price_fen_per_mwh))
    if fits then
      return m
    end
  end
  return nil
end

-- Count `wh` as used under mandate `m` and save it.
local function use_mandate(m, wh)
  m.used_wh = int(tonumber(m.used_wh) + wh)
  save_record(k('mandate', m.mandate_id), m)
end

-- Index a new trade for listing by seller, by buyer and ledger-wide, in proposal order.
local function index_trade(trade)
  local order = redis.call('INCR', k('seq', 'trade'))
  local keys = {
    k('idx', 'trades'), k('idx', 'trades-of', trade.seller_enterprise_id),
    k('idx', 'trades-of', trade.buyer_enterprise_id),
  }
  for _, key in ipairs(keys) do
    redis.call('ZADD', key, order, trade.trade_id)
  end
end

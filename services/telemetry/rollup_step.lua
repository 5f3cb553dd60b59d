-- KEYS[1..E]: the events' applied markers; then per (asset, day) slot s three keys:
-- KEYS[E + 3s - 2] its readings hash (register values; power readings of earlier
-- versions), KEYS[E + 3s - 1] its power readings (POWER records in epoch order),
-- KEYS[E + 3s] its rollup. ARGV[1]: ttl, ARGV[2]: kW per kWh of one interval, ARGV[3]:
-- interval seconds, ARGV[4]: E. The power readings, grouped by slot (reading order kept
-- within a slot): ARGV[5] per slot a SLOT record (its readings, runs of adjacent intervals
-- and events, and 1 when it may take the quick way: no register touches it, no reading
-- repeats another event's and its epochs rise), ARGV[6] per reading its POWER record
-- (epoch second, kW: the stored form), ARGV[7] per reading a PLACE (interval, event),
-- ARGV[8] per run a PAIR (first interval, length), ARGV[9] and ARGV[10] the runs' kW sums
-- (f8) and counts (i4) per interval as if the day held nothing, ARGV[11] per slot and
-- event a PAIR (event, its readings in the slot). ARGV[12]: the register readings as
-- REGISTER records in reading order. Returns {register anomalies, per event: readings
-- added, or -1 if it was applied}. Registers go one by one: each looks up its neighbours,
-- which may come before it.
local SLOT, POWER, PLACE, PAIR = '<i4i4i4i4', '<Id', '<i4i4', '<i4i4'
local REGISTER, DAY, RECORD, CHUNK = '<i8di4Bi4i4i4i4i4', 1152, 12, 2000
local per_kwh, step, events = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local outcome = {0}
for e = 1, events do
  outcome[e + 1] = redis.call('SET', KEYS[e], '1', 'NX', 'EX', ARGV[1]) and 0 or -1
end
local function hash_key(slot) return KEYS[events + 3 * slot - 2] end
local function powers_key(slot) return KEYS[events + 3 * slot - 1] end
local function rollup_key(slot) return KEYS[events + 3 * slot] end
local ZERO = string.rep('\0', DAY)
local raw_of, touched_of, slots, sums, counts = {}, {}, {}, {}, {}
local function day(slot)
  local raw = raw_of[slot]
  if raw == nil then
    raw = redis.call('GET', rollup_key(slot)) or ZERO
    if #raw < DAY then raw = raw .. string.sub(ZERO, #raw + 1) end
    raw_of[slot] = raw
  end
  return raw
end
local function add(slot, interval, kw)
  local at = slot * 128 + interval
  local sum = sums[at]
  if sum == nil then
    local raw, touched = day(slot), touched_of[slot]
    if touched == nil then
      touched = {}
      touched_of[slot], slots[#slots + 1] = touched, slot
    end
    if raw == ZERO then
      sum, counts[at] = 0, 0
    else
      sum = struct.unpack('<d', raw, interval * 8 + 1)
      counts[at] = struct.unpack('<i4', raw, 768 + interval * 4 + 1)
    end
    touched[#touched + 1] = interval
  end
  sums[at], counts[at] = sum + kw, counts[at] + 1
end
local function added(event, n)
  outcome[event + 1] = outcome[event + 1] + n
end
local powers, places, runs, sums_of_runs, counts_of_runs, slot_events =
  ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local function power(k)
  local epoch, kw = struct.unpack(POWER, powers, k * RECORD - RECORD + 1)
  return epoch, kw
end
local function place(k)
  local interval, event = struct.unpack(PLACE, places, k * 8 - 7)
  return interval, event
end
-- The epoch second of the last stored power reading of a slot (its greatest), or -1.
local function last_stored(key)
  local tail = redis.call('GETRANGE', key, -RECORD, -RECORD + 3)
  if tail == '' then return -1 end
  return (struct.unpack('<I', tail))
end
-- Whether the day holds nothing yet in intervals first .. first + length - 1.
local function run_empty(raw, first, length)
  return raw == ZERO
    or (string.sub(raw, first * 8 + 1, (first + length) * 8) == string.sub(ZERO, 1, length * 8)
      and string.sub(raw, 769 + first * 4, 768 + (first + length) * 4)
        == string.sub(ZERO, 1, length * 4))
end
-- A slot whose readings are all new, rising and later than any it holds: its records are
-- appended as they came, each run the day holds nothing of is written from the given sums
-- (the same additions in the same order as reading by reading) and the readings of the
-- other runs are added one by one.
local function apply_new(slot, n, before, run, cell, run_count)
  redis.call('APPEND', powers_key(slot),
    string.sub(powers, before * RECORD + 1, (before + n) * RECORD))
  local raw, rollup, by_reading = day(slot), rollup_key(slot), nil
  for r = run + 1, run + run_count do
    local first, length = struct.unpack(PAIR, runs, r * 8 - 7)
    if run_empty(raw, first, length) then
      redis.call('SETRANGE', rollup, first * 8,
        string.sub(sums_of_runs, cell * 8 + 1, (cell + length) * 8))
      redis.call('SETRANGE', rollup, 768 + first * 4,
        string.sub(counts_of_runs, cell * 4 + 1, (cell + length) * 4))
      raw_of[slot] = nil
    else
      by_reading = by_reading or {}
      for interval = first, first + length - 1 do by_reading[interval] = true end
    end
    cell = cell + length
  end
  if by_reading then
    for k = before + 1, before + n do
      local interval = place(k)
      if by_reading[interval] then
        local _, kw = power(k)
        add(slot, interval, kw)
      end
    end
  end
end
-- The epoch seconds a slot holds among `candidates` (readings k), as a set: its records
-- and, where earlier versions kept power readings in the readings hash, those fields.
local function known_of(slot, stored, candidates)
  local known = {}
  for p = 1, #stored, RECORD do
    known[(struct.unpack('<I', stored, p))] = true
  end
  if #candidates > 0 and redis.call('EXISTS', hash_key(slot)) == 1 then
    for first = 1, #candidates, CHUNK do
      local last, fields = math.min(first + CHUNK - 1, #candidates), {}
      for j = first, last do fields[j - first + 1] = tostring((power(candidates[j]))) end
      local found = redis.call('HMGET', hash_key(slot), unpack(fields))
      for j = first, last do
        if found[j - first + 1] then known[(power(candidates[j]))] = true end
      end
    end
  end
  return known
end
-- The records of `stored` and of the new readings, in epoch order.
local function merged(stored, new)
  local record_of, order = {}, {}
  for p = 1, #stored, RECORD do
    local epoch = struct.unpack('<I', stored, p)
    record_of[epoch], order[#order + 1] = string.sub(stored, p, p + RECORD - 1), epoch
  end
  for _, k in ipairs(new) do
    local epoch = power(k)
    record_of[epoch], order[#order + 1] = string.sub(powers, k * RECORD - RECORD + 1, k * RECORD), epoch
  end
  table.sort(order)
  local parts = {}
  for j, epoch in ipairs(order) do parts[j] = record_of[epoch] end
  return table.concat(parts)
end
-- One slot's power readings: only those of events not applied before, each second once
-- (the first value wins; a repeat from another event of the call is new only where it is
-- first). Returns true when it took the quick way (all readings count for their events).
local function apply_slot(slot, n, before, quick, run, cell, run_count)
  local key = powers_key(slot)
  if quick and redis.call('EXISTS', hash_key(slot)) == 0
    and (power(before + 1)) > last_stored(key)
  then
    apply_new(slot, n, before, run, cell, run_count)
    return true
  end
  local candidates = {}
  for k = before + 1, before + n do
    local _, event = place(k)
    if outcome[event + 1] >= 0 then candidates[#candidates + 1] = k end
  end
  local stored = redis.call('GET', key) or ''
  local known, new, rising, previous = known_of(slot, stored, candidates), {}, true, -1
  if #stored > 0 then previous = struct.unpack('<I', stored, #stored - RECORD + 1) end
  for _, k in ipairs(candidates) do
    local epoch = power(k)
    if not known[epoch] then
      known[epoch], new[#new + 1] = true, k
      if epoch <= previous then rising = false end
      previous = epoch
    end
  end
  if #new == 0 then return false end
  if rising then
    local parts = {}
    for j, k in ipairs(new) do
      parts[j] = string.sub(powers, k * RECORD - RECORD + 1, k * RECORD)
    end
    redis.call('APPEND', key, table.concat(parts))
  else
    redis.call('SET', key, merged(stored, new))
  end
  for _, k in ipairs(new) do
    local interval, event = place(k)
    local _, kw = power(k)
    add(slot, interval, kw)
    added(event, 1)
  end
  return false
end
local slot_info, before, run, cell, paired = ARGV[5], 0, 0, 0, 0
for slot = 1, #slot_info / 16 do
  local n, run_count, event_count, may = struct.unpack(SLOT, slot_info, slot * 16 - 15)
  local quick = may == 1
  for j = paired + 1, paired + event_count do
    if outcome[struct.unpack('<i4', slot_events, j * 8 - 7) + 1] < 0 then quick = false end
  end
  if n > 0 and apply_slot(slot, n, before, quick, run, cell, run_count) then
    for j = paired + 1, paired + event_count do
      added(struct.unpack(PAIR, slot_events, j * 8 - 7))
    end
  end
  for r = run + 1, run + run_count do
    cell = cell + struct.unpack('<i4', runs, r * 8 - 3)
  end
  before, run, paired = before + n, run + run_count, paired + event_count
end
local function delta(slot, interval, later, earlier, signed)
  local kwh = tonumber(later) - tonumber(earlier)
  if kwh < 0 and signed == 0 then outcome[1] = outcome[1] + 1 return end
  add(slot, interval, kwh * per_kwh)
end
local registers, pos = ARGV[12], 1
while pos <= #registers do
  local epoch, value, event, signed, slot, interval, before, after, after_interval
  epoch, value, event, signed, slot, interval, before, after, after_interval, pos =
    struct.unpack(REGISTER, registers, pos)
  if outcome[event + 1] >= 0
    and redis.call('HSETNX', hash_key(slot), 'r' .. tostring(epoch), value) == 1
  then
    added(event, 1)
    local earlier = redis.call('HGET', hash_key(before), 'r' .. tostring(epoch - step))
    if earlier then delta(slot, interval, value, earlier, signed) end
    local later = redis.call('HGET', hash_key(after), 'r' .. tostring(epoch + step))
    if later then delta(after, after_interval, later, value, signed) end
  end
end
local function packed(kind, values)
  return struct.pack('<' .. string.rep(kind, #values), unpack(values))
end
for _, slot in ipairs(slots) do
  local touched, rollup = touched_of[slot], rollup_key(slot)
  table.sort(touched)
  local k = 1
  while k <= #touched do
    local first, run_sums, run_counts = touched[k], {}, {}
    repeat
      local at = slot * 128 + touched[k]
      run_sums[#run_sums + 1], run_counts[#run_counts + 1] = sums[at], counts[at]
      k = k + 1
    until k > #touched or touched[k] ~= touched[k - 1] + 1
    redis.call('SETRANGE', rollup, first * 8, packed('d', run_sums))
    redis.call('SETRANGE', rollup, 768 + first * 4, packed('i4', run_counts))
  end
end
return outcome

-- KEYS[1..E]: the events' applied markers; then per (asset, day) slot s: KEYS[E + 2s - 1]
-- its readings hash, KEYS[E + 2s] its rollup. ARGV[1]: ttl, ARGV[2]: kW per kWh of one
-- interval, ARGV[3]: interval seconds, ARGV[4]: E. The power readings, grouped by slot
-- (reading order kept within a slot): ARGV[5] per slot a SLOT record (its readings, runs
-- of adjacent intervals and events, and 1 when it may take the quick way: no register
-- touches it and no reading repeats another event's), ARGV[6] per reading a READING record
-- (value, interval, event, where its hash field starts and ends in ARGV[7]), ARGV[7] the
-- hash fields (epoch seconds as text), ARGV[8] per run a PAIR (first interval, length),
-- ARGV[9] and ARGV[10] the runs' kW sums (f8) and counts (i4) per interval as if the day
-- held nothing, ARGV[11] per slot and event a PAIR (event, its readings in the slot).
-- ARGV[12]: the register readings as REGISTER records in reading order. Returns {register
-- anomalies, per event: readings added, or -1 if it was applied}. Registers go one by
-- one: each looks up its neighbours, which may come before it.
local SLOT, READING, PAIR = '<i4i4i4i4', '<di4i4i4i4', '<i4i4'
local REGISTER, DAY, CHUNK = '<i8di4Bi4i4i4i4i4', 1152, 2000
local per_kwh, step, events = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local outcome = {0}
for e = 1, events do
  outcome[e + 1] = redis.call('SET', KEYS[e], '1', 'NX', 'EX', ARGV[1]) and 0 or -1
end
local ZERO = string.rep('\0', DAY)
local raw_of, touched_of, slots, sums, counts = {}, {}, {}, {}, {}
local function day(slot)
  local raw = raw_of[slot]
  if raw == nil then
    raw = redis.call('GET', KEYS[events + 2 * slot]) or ZERO
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
local readings, texts, runs, sums_of_runs, counts_of_runs, slot_events =
  ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local function reading(at)
  local value, interval, event, first, last = struct.unpack(READING, readings, at * 24 - 23)
  return string.sub(texts, first, last), value, interval, event
end
-- Whether the day holds nothing yet in any of the runs of a slot.
local function runs_empty(raw, run, run_count)
  for r = run + 1, run + run_count do
    local first, length = struct.unpack(PAIR, runs, r * 8 - 7)
    if string.sub(raw, first * 8 + 1, (first + length) * 8) ~= string.sub(ZERO, 1, length * 8)
      or string.sub(raw, 769 + first * 4, 768 + (first + length) * 4)
        ~= string.sub(ZERO, 1, length * 4)
    then
      return false
    end
  end
  return true
end
-- The runs of a slot written from the given sums.
local function write_runs(slot, run, cell, run_count)
  local rollup = KEYS[events + 2 * slot]
  for r = run + 1, run + run_count do
    local first, length = struct.unpack(PAIR, runs, r * 8 - 7)
    local kw = string.sub(sums_of_runs, cell * 8 + 1, (cell + length) * 8)
    redis.call('SETRANGE', rollup, first * 8, kw)
    local count = string.sub(counts_of_runs, cell * 4 + 1, (cell + length) * 4)
    redis.call('SETRANGE', rollup, 768 + first * 4, count)
    cell = cell + length
  end
  raw_of[slot] = nil
end
-- One slot's power readings: only those of events not applied before, each field once (the
-- first value wins; a repeat from another event of the call is new only where it is
-- first). `quick` (its events all new, no register, no repeat across events): when none
-- is known yet and the day holds nothing in their intervals, the runs are written from
-- the given sums (the same additions in the same order as reading by reading) and it
-- returns true: the readings count for their events then.
local function apply_slot(slot, n, before, quick, run, cell, run_count)
  local key, fields, values, intervals, owners, m = KEYS[events + 2 * slot - 1], {}, {}, {}, {}, 0
  for k = before + 1, before + n do
    local field, value, interval, event = reading(k)
    if quick or outcome[event + 1] >= 0 then
      m = m + 1
      fields[m], values[m], intervals[m], owners[m] = field, value, interval, event
    end
  end
  local new, seen, c = {}, (not quick) and {} or nil, 0
  if m == 1 then
    if redis.call('HSETNX', key, fields[1], values[1]) == 0 then return false end
    c = 1
    new[1] = 1
  else
    for first = 1, m, CHUNK do
      local last = math.min(first + CHUNK - 1, m)
      local found = redis.call('HMGET', key, unpack(fields, first, last))
      for k = first, last do
        if not found[k - first + 1] and not (seen and seen[fields[k]]) then
          if seen then seen[fields[k]] = true end
          c = c + 1
          new[c] = k
        end
      end
    end
    local stored = {}
    for j = 1, c do
      stored[2 * j - 1], stored[2 * j] = fields[new[j]], values[new[j]]
    end
    for first = 1, 2 * c, 2 * CHUNK do
      redis.call('HSET', key, unpack(stored, first, math.min(first + 2 * CHUNK - 1, 2 * c)))
    end
  end
  if quick and c == m and runs_empty(day(slot), run, run_count) then
    write_runs(slot, run, cell, run_count)
    return true
  end
  for j = 1, c do
    local k = new[j]
    add(slot, intervals[k], values[k])
    added(owners[k], 1)
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
    and redis.call('HSETNX', KEYS[events + 2 * slot - 1], 'r' .. tostring(epoch), value) == 1
  then
    added(event, 1)
    local earlier = redis.call('HGET', KEYS[events + 2 * before - 1], 'r' .. tostring(epoch - step))
    if earlier then delta(slot, interval, value, earlier, signed) end
    local later = redis.call('HGET', KEYS[events + 2 * after - 1], 'r' .. tostring(epoch + step))
    if later then delta(after, after_interval, later, value, signed) end
  end
end
local function packed(kind, values)
  return struct.pack('<' .. string.rep(kind, #values), unpack(values))
end
for _, slot in ipairs(slots) do
  local touched, rollup = touched_of[slot], KEYS[events + 2 * slot]
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

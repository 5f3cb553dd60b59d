-- Retire a lot, or its low serials, for a beneficiary's consumption period. Irreversible.
-- For another enterprise only under its retire_for mandate to the owner (NO_MANDATE).
-- ARGV: prefix, fingerprint, lot_id, owner_enterprise_id, beneficiary_enterprise_id,
-- energy_wh (0 = whole lot), consumption start and end (epoch s), at (epoch s).
local replay = replayed()
if replay then
  return replay
end
local err
local lot_id, owner, beneficiary = ARGV[3], ARGV[4], ARGV[5]
local lot
lot, err = owned_valid_lot(lot_id, owner, ARGV[9])
if err then
  return err
end
-- Retiring for another enterprise needs that enterprise's retire_for mandate to the owner.
local mandate
if beneficiary ~= owner then
  local want = tonumber(ARGV[6])
  if want == 0 then
    want = tonumber(lot.energy_wh)
  end
  mandate = covering_mandate(beneficiary, 'retire_for', owner, want, ARGV[9], nil, '')
  if not mandate then
    return fail('NO_MANDATE', beneficiary .. ':' .. owner)
  end
end
local retired, rest, wh
retired, rest, wh, err = take(lot, tonumber(ARGV[6]))
if err then
  return err
end
if mandate then
  use_mandate(mandate, wh)
end
retired.status = 'RETIRED'
retired.beneficiary_enterprise_id = beneficiary
retired.consumption_period_start = ARGV[7]
retired.consumption_period_end = ARGV[8]
save_parts(retired, rest)
redis.call('ZADD', k('idx', 'beneficiary', beneficiary), ARGV[7], retired.lot_id)
local order = redis.call('INCR', k('seq', 'retirement'))
redis.call('ZADD', k('idx', 'retired-for', beneficiary), order, retired.lot_id)
add(k('balance', owner), 'active_wh', -wh)
add(k('balance', owner), 'retired_wh', wh)
add(k('totals'), 'active_wh', -wh)
add(k('totals'), 'retired_wh', wh)
add_hour(retired, 'active_wh', -wh)
add_hour(retired, 'retired_wh', wh)
append_log('retire', {retired, rest}, nil, {mandate = mandate, at = tonumber(ARGV[9])})
return finish({retired, rest}, owner)

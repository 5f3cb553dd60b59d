-- Issue one lot per hour for a generator, all or nothing.
-- ARGV: prefix, fingerprint, generator_asset_id, technology, grid_area, owner_enterprise_id,
-- then quadruples (hour_start epoch s, energy_wh, expires_at epoch s, local month YYYY-MM).
local replay = replayed()
if replay then
  return replay
end
local err
local generator, technology, grid_area, owner = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local generator_hours = k('generator', generator, 'hours')
for i = 7, #ARGV, 4 do
  if redis.call('HEXISTS', generator_hours, ARGV[i]) == 1 then
    return fail('OVERLAP', ARGV[i])
  end
end
local lots = {}
local total_wh = 0
for i = 7, #ARGV, 4 do
  local hour, wh = ARGV[i], tonumber(ARGV[i + 1])
  local serial_end = redis.call('INCRBY', k('seq', 'serial'), int(wh))
  local lot_id, seq = new_lot_id()
  local lot = {
    lot_id = lot_id, seq = seq, generator_asset_id = generator, technology = technology,
    grid_area = grid_area, production_hour_start = hour, energy_wh = int(wh),
    serial_start = int(serial_end - wh), serial_end = int(serial_end),
    owner_enterprise_id = owner, status = 'ACTIVE', beneficiary_enterprise_id = '',
    consumption_period_start = '', consumption_period_end = '', parent_lot_id = '',
    trade_id = '', expires_at = ARGV[i + 2],
  }
  save_lot(lot)
  index(lot)
  redis.call('HSET', generator_hours, hour, lot_id)
  add(k('issued-by-hour'), hour, wh)
  add(k('issued-by-month', owner), ARGV[i + 3], wh)
  add_hour(lot, 'issued_wh', wh)
  add_hour(lot, 'active_wh', wh)
  total_wh = total_wh + wh
  lots[#lots + 1] = lot
end
add(k('totals'), 'issued_wh', total_wh)
add(k('totals'), 'active_wh', total_wh)
add(k('balance', owner), 'active_wh', total_wh)
append_log('issue', lots, nil)
return finish(lots, owner)

-- The expiry sweep: mark ACTIVE lots whose validity ended at or before `at` EXPIRED, in
-- expiry order, at most `limit` per run. They leave the active counters (balances, totals,
-- generator-hours) for expired_wh, and count per owner and expiry instant.
-- ARGV: prefix, fingerprint, at (epoch s), limit.
local replay = replayed()
if replay then
  return replay
end
local due = redis.call('ZRANGEBYSCORE', k('idx', 'expiry'), '-inf', ARGV[3], 'LIMIT', 0, ARGV[4])
if #due == 0 then
  return '[]'
end
local lots = {}
local total_wh = 0
for _, lot_id in ipairs(due) do
  local lot = load_lot(lot_id)
  unindex(lot)
  lot.status = 'EXPIRED'
  save_lot(lot)
  index(lot)
  local wh = tonumber(lot.energy_wh)
  add(k('balance', lot.owner_enterprise_id), 'active_wh', -wh)
  add(k('balance', lot.owner_enterprise_id), 'expired_wh', wh)
  add(k('expired-by-expiry', lot.owner_enterprise_id), lot.expires_at, wh)
  add_hour(lot, 'active_wh', -wh)
  add_hour(lot, 'expired_wh', wh)
  total_wh = total_wh + wh
  lots[#lots + 1] = lot
end
add(k('totals'), 'active_wh', -total_wh)
add(k('totals'), 'expired_wh', total_wh)
append_log('expire', lots, nil, {at = tonumber(ARGV[3])})
return finish(lots, '', 'ledger-expire-' .. lots[1].lot_id)

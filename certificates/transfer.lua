-- Transfer a lot, or its low serials, to another enterprise.
-- ARGV: prefix, fingerprint, lot_id, from_enterprise_id, to_enterprise_id, energy_wh
-- (0 = whole lot), trade_id.
local done, err = previous_result()
if err then
  return err
end
if done then
  return done
end
local lot_id, sender, receiver, trade_id = ARGV[3], ARGV[4], ARGV[5], ARGV[7]
local lot
lot, err = owned_active_lot(lot_id, sender)
if err then
  return err
end
local moved, rest, wh
moved, rest, wh, err = take(lot, tonumber(ARGV[6]))
if err then
  return err
end
moved.owner_enterprise_id = receiver
moved.trade_id = trade_id
save_lot(moved)
index(moved)
if rest then
  save_lot(rest)
  index(rest)
end
add(k('balance', sender), 'active_wh', -wh)
add(k('balance', receiver), 'active_wh', wh)
append_log('transfer', {moved, rest}, nil)
return finish({moved, rest})

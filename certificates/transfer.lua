-- Transfer a lot, or its low serials, to another enterprise.
-- ARGV: prefix, fingerprint, lot_id, from_enterprise_id, to_enterprise_id, energy_wh
-- (0 = whole lot), trade_id, at (epoch s: the lot must still be valid then).
local replay = replayed()
if replay then
  return replay
end
local err
local lot_id, sender, receiver, trade_id = ARGV[3], ARGV[4], ARGV[5], ARGV[7]
local lot
lot, err = owned_valid_lot(lot_id, sender, ARGV[8])
if err then
  return err
end
local moved, rest, moved_wh
moved, rest, moved_wh, err = hand_over(lot, tonumber(ARGV[6]), sender, receiver, trade_id)
if err then
  return err
end
append_log('transfer', {moved, rest}, nil)
return finish({moved, rest}, sender)

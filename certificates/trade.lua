-- Settle a green-power trade: move the certificates to the buyer and record the money leg
-- in one step, so no half-done trade is ever visible.
-- ARGV: prefix, fingerprint, trade_id, lot_id, seller_enterprise_id, buyer_enterprise_id,
-- energy_wh (> 0), amount_fen (>= 0), at (epoch s), price_fen_per_mwh ("" when not agreed
-- per MWh). The trade is indexed for listing by seller, by buyer and ledger-wide, in
-- settlement order.
local replay = replayed()
if replay then
  return replay
end
local err
local trade_id, lot_id, seller, buyer = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local trade_key = k('trade', trade_id)
if redis.call('EXISTS', trade_key) == 1 then
  return fail('TRADE_EXISTS', trade_id)
end
local lot
lot, err = owned_valid_lot(lot_id, seller, ARGV[9])
if err then
  return err
end
local moved, rest, wh
moved, rest, wh, err = hand_over(lot, tonumber(ARGV[7]), seller, buyer, trade_id)
if err then
  return err
end
local trade = {
  trade_id = trade_id, lot_id = moved.lot_id, source_lot_id = lot_id,
  seller_enterprise_id = seller, buyer_enterprise_id = buyer, energy_wh = int(wh),
  amount_fen = ARGV[8], at = ARGV[9], request_id = REQUEST_ID,
}
if ARGV[10] ~= '' then
  trade.price_fen_per_mwh = ARGV[10]
end
local flat = {}
for field, value in pairs(trade) do
  flat[#flat + 1] = field
  flat[#flat + 1] = value
end
redis.call('HSET', trade_key, unpack(flat))
local order = redis.call('INCR', k('seq', 'trade'))
local indexes = {k('idx', 'trades'), k('idx', 'trades-of', seller), k('idx', 'trades-of', buyer)}
for _, key in ipairs(indexes) do
  redis.call('ZADD', key, order, trade_id)
end
append_log('trade', {moved, rest}, trade)
-- One event per trade, whichever request settled it.
return finish({lots = {moved, rest}, trade = trade}, seller, 'green-trade-' .. trade_id)

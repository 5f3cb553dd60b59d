-- The seller proposes a green-power trade: nothing moves until the buyer accepts (or a
-- buyer's mandate covers it) and the trade is settled (trade.lua) before it expires.
-- ARGV: prefix, fingerprint, trade_id, lot_id, seller, buyer, energy_wh (> 0),
-- price_fen_per_mwh, amount_fen, at (epoch s), expires_at (epoch s).
local replay = replayed()
if replay then
  return replay
end
local err
local trade_id, lot_id, seller, buyer = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('EXISTS', k('trade', trade_id)) == 1 then
  return fail('TRADE_EXISTS', trade_id)
end
local lot
lot, err = owned_valid_lot(lot_id, seller, ARGV[10])
if err then
  return err
end
if tonumber(ARGV[7]) > tonumber(lot.energy_wh) then
  return fail('INSUFFICIENT', lot.energy_wh .. ':' .. ARGV[7])
end
local trade = {
  trade_id = trade_id, source_lot_id = lot_id, lot_id = '', seller_enterprise_id = seller,
  buyer_enterprise_id = buyer, energy_wh = ARGV[7], price_fen_per_mwh = ARGV[8],
  amount_fen = ARGV[9], state = 'PROPOSED', proposed_at = ARGV[10], expires_at = ARGV[11],
  proposal_request_id = REQUEST_ID, accepted_at = '', accepted_by = '', mandate_id = '',
  at = '', request_id = '', settled_by = '',
}
save_record(k('trade', trade_id), trade)
index_trade(trade)
append_log('propose', {}, trade)
return finish(trade, seller, 'green-trade-proposed-' .. trade_id)

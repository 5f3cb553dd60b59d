-- Settle a green-power trade the buyer agreed to: move the certificates to the buyer and
-- record the money leg in one step, so no half-done trade is ever visible. Agreed means
-- accepted by the buyer, or covered at settlement by an active buy_green mandate the buyer
-- gave the ESCO (price cap, seller, Wh left, expiry); otherwise NOT_AGREED.
-- ARGV: prefix, fingerprint, trade_id, at (epoch s), settled_by (esco or the seller).
local replay = replayed()
if replay then
  return replay
end
local trade_id, at = ARGV[3], ARGV[4]
local trade = load_record(k('trade', trade_id))
if not trade then
  return fail('TRADE_NOT_FOUND', trade_id)
end
local err = open_trade(trade, at)
if err then
  return err
end
local wh = tonumber(trade.energy_wh)
local seller, buyer = trade.seller_enterprise_id, trade.buyer_enterprise_id
local mandate
if trade.state ~= 'ACCEPTED' then
  mandate = covering_mandate(buyer, 'buy_green', 'esco', wh, at, trade.price_fen_per_mwh, seller)
  if not mandate then
    return fail('NOT_AGREED', trade_id)
  end
end
local lot
lot, err = owned_valid_lot(trade.source_lot_id, seller, at)
if err then
  return err
end
local moved, rest
moved, rest, wh, err = hand_over(lot, wh, seller, buyer, trade_id)
if err then
  return err
end
if mandate then
  use_mandate(mandate, wh)
  trade.accepted_at = at
  trade.accepted_by = 'mandate:' .. mandate.mandate_id
  trade.mandate_id = mandate.mandate_id
end
trade.state = 'SETTLED'
trade.lot_id = moved.lot_id
trade.at = at
trade.request_id = REQUEST_ID
trade.settled_by = ARGV[5]
save_record(k('trade', trade_id), trade)
append_log('trade', {moved, rest}, trade, {mandate = mandate})
-- One event per trade, whichever request settled it.
return finish({lots = {moved, rest}, trade = trade}, seller, 'green-trade-' .. trade_id)

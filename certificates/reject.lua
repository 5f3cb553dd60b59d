-- The buyer rejects a proposed (or accepted, not yet settled) green-power trade.
-- ARGV: prefix, fingerprint, trade_id, buyer, at (epoch s).
local replay = replayed()
if replay then
  return replay
end
local trade, err = party_trade(ARGV[3], ARGV[4], 'buyer')
if err then
  return err
end
err = open_trade(trade, ARGV[5])
if err then
  return err
end
trade.state = 'REJECTED'
trade.accepted_at = ARGV[5]
trade.accepted_by = ''
save_record(k('trade', trade.trade_id), trade)
append_log('reject', {}, trade)
return finish(trade, ARGV[4], 'green-trade-rejected-' .. trade.trade_id)

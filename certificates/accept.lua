-- The buyer accepts a proposed green-power trade with its own request, before it expires.
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
if trade.state ~= 'PROPOSED' then
  return fail('TRADE_STATE', trade.trade_id .. ':' .. trade.state)
end
trade.state = 'ACCEPTED'
trade.accepted_at = ARGV[5]
trade.accepted_by = ARGV[4]
save_record(k('trade', trade.trade_id), trade)
append_log('accept', {}, trade)
return finish(trade, ARGV[4], 'green-trade-accepted-' .. trade.trade_id)

-- Deliver one month of an accepted green-power contract as planned by the service
-- (certificates.contracts.plan_delivery): the planned Wh of each seller's lot move to the
-- buyer and the month's money is recorded, in one step with the contract's progress.
-- The plan was made on the seller's lots at its owner version ARGV[6] (common.lua); any
-- change of the seller's lots since makes it STALE (the service plans again), so what is
-- applied is exactly what the rule gives.
-- ARGV: prefix, fingerprint, contract_id, month, at (epoch s), the seller's planned-on
-- owner version,
-- carried-in Wh, the month after (or ''), the plan's figures (JSON object of strings),
-- then per line: source lot id, Wh, amount fen, production hour (epoch s).
local replay = replayed()
if replay then
  return replay
end
local contract_id, month, at = ARGV[3], ARGV[4], ARGV[5]
if redis.call('EXISTS', k('gdelivery', contract_id, month)) == 1 then
  return fail('DELIVERED', contract_id .. ':' .. month)
end
local contract = load_record(contract_key(contract_id))
if not contract then
  return fail('CONTRACT_NOT_FOUND', contract_id)
end
local version = redis.call('HGET', k('owner-version'), contract.seller_enterprise_id) or '0'
if version ~= ARGV[6] then
  return fail('STALE', version)
end
if contract.state ~= 'ACCEPTED' then
  return fail('CONTRACT_STATE', contract_id .. ':' .. contract.state)
end
if contract.next_month ~= month or contract.carry_wh ~= ARGV[7] then
  return fail('STALE', version)
end
local seller, buyer = contract.seller_enterprise_id, contract.buyer_enterprise_id
local err, lot
for i = 10, #ARGV, 4 do
  lot, err = owned_valid_lot(ARGV[i], seller, at)
  if err then
    return err
  end
  if tonumber(ARGV[i + 1]) > tonumber(lot.energy_wh) then
    return fail('INSUFFICIENT', lot.energy_wh .. ':' .. ARGV[i + 1])
  end
end
local lots, lines = {}, {}
for i = 10, #ARGV, 4 do
  local moved, rest = hand_over(load_lot(ARGV[i]), tonumber(ARGV[i + 1]), seller, buyer,
    contract_id)
  lots[#lots + 1] = moved
  if rest then
    lots[#lots + 1] = rest
  end
  lines[#lines + 1] = {
    source_lot_id = ARGV[i], lot_id = moved.lot_id, energy_wh = ARGV[i + 1],
    amount_fen = ARGV[i + 2], hour_s = ARGV[i + 3],
  }
end
local delivery = cjson.decode(ARGV[9])
delivery.contract_id, delivery.month, delivery.at = contract_id, month, at
delivery.request_id = REQUEST_ID
delivery.lines = #lines > 0 and json_value(lines) or '[]'
save_record(k('gdelivery', contract_id, month), delivery)
contract.next_month = ARGV[8]
contract.carry_wh = delivery.carried_out_wh
for name, figure in pairs({
  months_delivered = '1', delivered_wh = delivery.delivered_wh,
  amount_fen = delivery.amount_fen, compensation_fen = delivery.compensation_fen,
}) do
  contract[name] = int(tonumber(contract[name]) + tonumber(figure))
end
local part = save_progress(contract)
append_log('deliver', lots, nil, {contract = part, delivery = delivery})
return finish({contract = part, delivery = delivery, seller_enterprise_id = seller,
  buyer_enterprise_id = buyer}, seller,
  'green-contract-delivered-' .. contract_id .. '-' .. month)

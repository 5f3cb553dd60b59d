-- The seller proposes a green-power contract; it binds nobody until the buyer accepts it.
-- ARGV: prefix, fingerprint, terms (JSON object of strings), at (epoch s), expires_at.
local replay = replayed()
if replay then
  return replay
end
local contract = cjson.decode(ARGV[3])
if redis.call('EXISTS', contract_key(contract.contract_id)) == 1 then
  return fail('CONTRACT_EXISTS', contract.contract_id)
end
contract.state = 'PROPOSED'
contract.proposed_at = ARGV[4]
contract.expires_at = ARGV[5]
contract.proposal_request_id = REQUEST_ID
contract.accepted_at, contract.accepted_by = '', ''
contract.rejected_at, contract.rejected_by = '', ''
contract.next_month = contract.start_month
contract.carry_wh, contract.months_delivered, contract.delivered_wh = '0', '0', '0'
contract.amount_fen, contract.compensation_fen = '0', '0'
save_record(contract_key(contract.contract_id), contract)
local order = redis.call('INCR', k('seq', 'contract'))
for _, key in ipairs({
  k('idx', 'contracts'), k('idx', 'contracts-of', contract.seller_enterprise_id),
  k('idx', 'contracts-of', contract.buyer_enterprise_id),
}) do
  redis.call('ZADD', key, order, contract.contract_id)
end
append_log('propose_contract', {}, nil, {contract = contract})
return finish(contract, contract.seller_enterprise_id,
  'green-contract-proposed-' .. contract.contract_id)

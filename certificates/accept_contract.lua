-- The buyer accepts a proposed green-power contract with its own request, before it expires.
-- ARGV: prefix, fingerprint, contract_id, buyer, at (epoch s).
local replay = replayed()
if replay then
  return replay
end
local contract, err = party_contract(ARGV[3], ARGV[4], 'buyer')
if err then
  return err
end
err = open_contract(contract, ARGV[5])
if err then
  return err
end
contract.state = 'ACCEPTED'
contract.accepted_at = ARGV[5]
contract.accepted_by = ARGV[4]
local part = save_progress(contract)
append_log('accept_contract', {}, nil, {contract = part})
return finish(contract, ARGV[4], 'green-contract-accepted-' .. contract.contract_id)

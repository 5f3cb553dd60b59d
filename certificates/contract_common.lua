-- Helpers of the green-power contract scripts (prepended after common.lua and audit.lua).
-- A contract is the hash PREFIX:gcontract:<id> (terms, state and delivery progress); each
-- delivered month is PREFIX:gdelivery:<id>:<YYYY-MM>.

-- The fields a step after the proposal may change; its audit entry records only these.
local PROGRESS = {
  'contract_id', 'state', 'accepted_at', 'accepted_by', 'rejected_at', 'rejected_by',
  'next_month', 'carry_wh', 'months_delivered', 'delivered_wh', 'amount_fen',
  'compensation_fen',
}

local function contract_key(contract_id)
  return k('gcontract', contract_id)
end

local function progress_of(contract)
  local part = {}
  for _, name in ipairs(PROGRESS) do
    part[name] = contract[name]
  end
  return part
end

local function save_progress(contract)
  local part = progress_of(contract)
  save_record(contract_key(contract.contract_id), part)
  return part
end

-- The contract `party` may act on as `role` ('buyer' or 'seller'), or an error worded alike
-- for an unknown contract and another enterprise's.
local function party_contract(contract_id, party, role)
  local contract = load_record(contract_key(contract_id))
  if not contract or contract[role .. '_enterprise_id'] ~= party then
    return nil, fail('CONTRACT_NOT_FOUND', contract_id)
  end
  return contract, nil
end

-- A proposed contract the buyer can still answer at `at`, or an error.
local function open_contract(contract, at)
  if contract.state ~= 'PROPOSED' then
    return fail('CONTRACT_STATE', contract.contract_id .. ':' .. contract.state)
  end
  if tonumber(contract.expires_at) <= tonumber(at) then
    return fail('CONTRACT_EXPIRED', contract.contract_id .. ':' .. contract.expires_at)
  end
  return nil
end

-- The buyer's answer to a proposed contract (accept_contract.lua, reject_contract.lua):
-- ARGV prefix, fingerprint, contract_id, buyer, at (epoch s); `state` 'ACCEPTED' or
-- 'REJECTED', `done` 'accepted' or 'rejected' (the record's <done>_at/_by and the event).
local function answer_contract(state, done)
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
  contract.state = state
  contract[done .. '_at'] = ARGV[5]
  contract[done .. '_by'] = ARGV[4]
  local part = save_progress(contract)
  append_log(OPERATION, {}, nil, {contract = part})
  return finish(contract, ARGV[4], 'green-contract-' .. done .. '-' .. contract.contract_id)
end

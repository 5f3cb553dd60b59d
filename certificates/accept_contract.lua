-- The buyer accepts a proposed green-power contract with its own request, before it expires.
-- ARGV: prefix, fingerprint, contract_id, buyer, at (epoch s).
return answer_contract('ACCEPTED', 'accepted')

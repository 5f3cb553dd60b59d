-- The buyer rejects a proposed green-power contract with its own request, before it expires.
-- ARGV: prefix, fingerprint, contract_id, buyer, at (epoch s).
return answer_contract('REJECTED', 'rejected')

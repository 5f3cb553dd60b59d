-- The grantor revokes its mandate; what was done under it stays done.
-- ARGV: prefix, fingerprint, mandate_id, grantor, at (epoch s).
local replay = replayed()
if replay then
  return replay
end
local m = load_record(k('mandate', ARGV[3]))
if not m or m.grantor_enterprise_id ~= ARGV[4] then
  return fail('MANDATE_NOT_FOUND', ARGV[3])
end
if m.state ~= 'ACTIVE' then
  return fail('MANDATE_STATE', ARGV[3] .. ':' .. m.state)
end
m.state = 'REVOKED'
m.revoked_at = ARGV[5]
save_record(k('mandate', m.mandate_id), m)
redis.call('SREM', k('mandates-by-scope', m.grantor_enterprise_id, m.scope), m.mandate_id)
append_log('revoke', {}, nil, {mandate = m})
return finish(m, ARGV[4], 'mandate-revoked-' .. m.mandate_id)

-- An enterprise (the grantor) gives a standing mandate: buy_green lets the ESCO settle
-- green-power trades for it as buyer without a per-trade acceptance (price cap, optional
-- seller, Wh cap, expiry); retire_for lets the grantee enterprise retire certificates for
-- the grantor's consumption (Wh cap, expiry).
-- ARGV: prefix, fingerprint, mandate_id, grantor, grantee, scope, max_price_fen_per_mwh,
-- max_energy_wh (0 = no cap), counterparty ('' = any), at (epoch s), expires_at (epoch s).
local replay = replayed()
if replay then
  return replay
end
local mandate_id, grantor, scope = ARGV[3], ARGV[4], ARGV[6]
if redis.call('EXISTS', k('mandate', mandate_id)) == 1 then
  return fail('MANDATE_EXISTS', mandate_id)
end
local m = {
  mandate_id = mandate_id, grantor_enterprise_id = grantor, grantee = ARGV[5], scope = scope,
  max_price_fen_per_mwh = ARGV[7], max_energy_wh = ARGV[8], used_wh = '0',
  counterparty_enterprise_id = ARGV[9], granted_at = ARGV[10], expires_at = ARGV[11],
  state = 'ACTIVE', revoked_at = '', request_id = REQUEST_ID,
}
save_record(k('mandate', mandate_id), m)
redis.call('SADD', k('mandates-by-scope', grantor, scope), mandate_id)
local order = redis.call('INCR', k('seq', 'mandate'))
redis.call('ZADD', k('idx', 'mandates-of', grantor), order, mandate_id)
if ARGV[5] ~= 'esco' then
  redis.call('ZADD', k('idx', 'mandates-of', ARGV[5]), order, mandate_id)
end
append_log('grant', {}, nil, {mandate = m})
return finish(m, grantor, 'mandate-granted-' .. mandate_id)

-- DELETE also applies the SELECT policies to the rows its WHERE clause reads: the hourly cleanup (system scope) must be
-- able to see the expired user-level keys (tenant_id IS NULL) it deletes. Nothing else becomes visible in that scope.
CREATE POLICY idempotency_cleanup_read ON idempotency_keys FOR SELECT USING (tenant_id IS NULL AND current_setting('app.scope', true) = 'system');

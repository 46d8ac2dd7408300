ALTER TABLE "sessions" ADD COLUMN "access_valid_after" timestamp with time zone;--> statement-breakpoint
-- Row-level security as tight as the role rules (hand-written: drizzle-kit does not generate policies).
-- memberships: every write is bound to the current tenant; the one cross-centre write is a user accepting (or
-- declining) an invitation addressed to their own email, and the trigger below keeps that acceptance from changing
-- anything but who holds the membership and its status.
DROP POLICY IF EXISTS membership_visibility ON memberships;
--> statement-breakpoint
CREATE POLICY membership_read ON memberships FOR SELECT USING (
  tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
  OR user_id = nullif(current_setting('app.user_id', true), '')::uuid
  OR (user_id IS NULL AND status = 'invited' AND email = nullif(current_setting('app.user_email', true), ''))
);
--> statement-breakpoint
CREATE POLICY membership_insert ON memberships FOR INSERT WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY membership_update ON memberships FOR UPDATE
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY membership_accept ON memberships FOR UPDATE
  USING (user_id IS NULL AND status = 'invited' AND email = nullif(current_setting('app.user_email', true), ''))
  WITH CHECK (
    user_id = nullif(current_setting('app.user_id', true), '')::uuid
    AND status = 'active'
    AND email = nullif(current_setting('app.user_email', true), '')
  );
--> statement-breakpoint
CREATE POLICY membership_delete ON memberships FOR DELETE USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY membership_decline ON memberships FOR DELETE
  USING (user_id IS NULL AND status = 'invited' AND email = nullif(current_setting('app.user_email', true), ''));
--> statement-breakpoint
CREATE OR REPLACE FUNCTION memberships_cross_centre_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tenant_id IS DISTINCT FROM nullif(current_setting('app.tenant_id', true), '')::uuid AND (
    NEW.id IS DISTINCT FROM OLD.id OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id OR NEW.email IS DISTINCT FROM OLD.email
    OR NEW.roles IS DISTINCT FROM OLD.roles OR NEW.entitlements IS DISTINCT FROM OLD.entitlements
    OR NEW.invited_by_user_id IS DISTINCT FROM OLD.invited_by_user_id
  ) THEN
    RAISE EXCEPTION 'a membership can only be changed from its own centre' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER memberships_cross_centre_guard BEFORE UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION memberships_cross_centre_guard();
--> statement-breakpoint
-- tenants: read your own centre, the centres you belong to and those inviting you (names for the sign-in lists);
-- create, change and delete only the current one.
DROP POLICY IF EXISTS tenant_self ON tenants;
--> statement-breakpoint
CREATE POLICY tenant_read ON tenants FOR SELECT USING (
  id = nullif(current_setting('app.tenant_id', true), '')::uuid
  OR id IN (
    SELECT m.tenant_id FROM memberships m
    WHERE m.user_id = nullif(current_setting('app.user_id', true), '')::uuid
       OR (m.user_id IS NULL AND m.status = 'invited' AND m.email = nullif(current_setting('app.user_email', true), ''))
  )
);
--> statement-breakpoint
CREATE POLICY tenant_insert ON tenants FOR INSERT WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY tenant_update ON tenants FOR UPDATE
  USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY tenant_delete ON tenants FOR DELETE USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid);

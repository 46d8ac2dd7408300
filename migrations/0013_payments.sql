-- Issue 25 (Payments online). Written by hand: drizzle-kit refuses to generate while the snapshots 0006-0012 share a parent.
ALTER TABLE "billing_payments" ADD COLUMN "provider_intent" text;--> statement-breakpoint
ALTER TABLE "billing_payments" ADD COLUMN "return_url" text;--> statement-breakpoint
CREATE UNIQUE INDEX "billing_payments_provider_ref_key" ON "billing_payments" USING btree ("provider","provider_ref");--> statement-breakpoint
CREATE INDEX "billing_payments_provider_intent_idx" ON "billing_payments" USING btree ("provider","provider_intent");--> statement-breakpoint
CREATE TABLE "payment_events" (
	"provider" text NOT NULL,
	"event_id" text NOT NULL,
	"tenant_id" uuid NOT NULL,
	"payment_id" uuid NOT NULL,
	"type" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_events_pk" PRIMARY KEY("provider","event_id")
);
--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_payment_fk" FOREIGN KEY ("tenant_id","payment_id") REFERENCES "public"."billing_payments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_events_payment_idx" ON "payment_events" USING btree ("tenant_id","payment_id");--> statement-breakpoint
-- Hand-written: tenant isolation and grants, as every tenant table has them.
GRANT SELECT, INSERT ON payment_events TO daycare_app;
--> statement-breakpoint
ALTER TABLE payment_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE payment_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON payment_events USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
-- The webhook finds the tenant from OUR payment row: a system-scope read of online payments only (never a write).
CREATE POLICY provider_lookup ON billing_payments FOR SELECT USING (provider IS NOT NULL AND current_setting('app.scope', true) = 'system');

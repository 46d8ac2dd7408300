CREATE TABLE "application_forms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_by_membership_id" uuid,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "application_forms_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"status" text DEFAULT 'waitlisted' NOT NULL,
	"source" text NOT NULL,
	"form_id" uuid,
	"child_first_name" text NOT NULL,
	"child_last_name" text NOT NULL,
	"child_date_of_birth" date NOT NULL,
	"guardian_first_name" text NOT NULL,
	"guardian_last_name" text NOT NULL,
	"guardian_email" text NOT NULL,
	"guardian_phone" text,
	"desired_start_date" date NOT NULL,
	"room_id" uuid,
	"sibling_student_id" uuid,
	"staff_child" boolean DEFAULT false NOT NULL,
	"notes" text,
	"submitted_at" timestamp with time zone NOT NULL,
	"rank_at" timestamp with time zone NOT NULL,
	"possible_duplicate_of_id" uuid,
	"offer_room_id" uuid,
	"offer_start_date" date,
	"offer_plan_id" uuid,
	"offer_expires_at" timestamp with time zone,
	"offer_out_of_order_reason" text,
	"offer_token_hash" text,
	"offer_token_used_at" timestamp with time zone,
	"student_id" uuid,
	"guardian_id" uuid,
	"membership_id" uuid,
	"withdraw_reason" text,
	"closed_at" timestamp with time zone,
	CONSTRAINT "applications_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "waitlist_settings" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"priorities" text[] NOT NULL,
	"offer_hold_hours" integer NOT NULL,
	"retention_months" integer DEFAULT 24 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "application_forms" ADD CONSTRAINT "application_forms_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_room_fk" FOREIGN KEY ("tenant_id","room_id") REFERENCES "public"."rooms"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_offer_room_fk" FOREIGN KEY ("tenant_id","offer_room_id") REFERENCES "public"."rooms"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_form_fk" FOREIGN KEY ("tenant_id","form_id") REFERENCES "public"."application_forms"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_settings" ADD CONSTRAINT "waitlist_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "application_forms_tenant_live_idx" ON "application_forms" USING btree ("tenant_id","id") WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "applications_tenant_status_rank_idx" ON "applications" USING btree ("tenant_id","status","rank_at","id");--> statement-breakpoint
CREATE INDEX "applications_tenant_child_idx" ON "applications" USING btree ("tenant_id","child_last_name","child_first_name","child_date_of_birth");--> statement-breakpoint
CREATE INDEX "applications_tenant_closed_idx" ON "applications" USING btree ("tenant_id","closed_at") WHERE closed_at is not null;--> statement-breakpoint
CREATE INDEX "applications_tenant_offer_room_idx" ON "applications" USING btree ("tenant_id","offer_room_id") WHERE status = 'offered';--> statement-breakpoint
-- Tenant tables: the restricted role's grants and forced row-level security, as 0004/0005 do.
GRANT SELECT, INSERT, UPDATE, DELETE ON applications, application_forms, waitlist_settings TO daycare_app;
--> statement-breakpoint
ALTER TABLE applications ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE applications FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON applications USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE application_forms ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE application_forms FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON application_forms USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE waitlist_settings ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE waitlist_settings FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON waitlist_settings USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

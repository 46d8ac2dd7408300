CREATE TABLE "kiosks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_by_membership_id" uuid,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "kiosks_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "shifts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"staff_id" uuid NOT NULL,
	"room_id" uuid NOT NULL,
	"date" date NOT NULL,
	"clock_in_at" timestamp with time zone NOT NULL,
	"clock_out_at" timestamp with time zone,
	"clocked_in_by_membership_id" uuid,
	"clocked_out_by_membership_id" uuid,
	CONSTRAINT "shifts_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
-- attendance.method comes with 0004_day.
ALTER TABLE "attendance_rollups" ADD COLUMN "staff_minutes" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "attendance_rollups" ADD COLUMN "out_of_ratio_minutes" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "guardians" ADD COLUMN "pin_hash" text;--> statement-breakpoint
ALTER TABLE "guardians" ADD COLUMN "pin_set_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "student_guardians" ADD COLUMN "emergency_contact" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "student_guardians" ADD COLUMN "can_view_records" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "kiosks" ADD CONSTRAINT "kiosks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shifts" ADD CONSTRAINT "shifts_staff_fk" FOREIGN KEY ("tenant_id","staff_id") REFERENCES "public"."staff"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shifts" ADD CONSTRAINT "shifts_room_fk" FOREIGN KEY ("tenant_id","room_id") REFERENCES "public"."rooms"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "kiosks_tenant_live_idx" ON "kiosks" USING btree ("tenant_id","id") WHERE revoked_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "shifts_one_open_per_staff" ON "shifts" USING btree ("tenant_id","staff_id") WHERE clock_out_at is null;--> statement-breakpoint
CREATE INDEX "shifts_tenant_room_open_idx" ON "shifts" USING btree ("tenant_id","room_id") WHERE clock_out_at is null;--> statement-breakpoint
CREATE INDEX "shifts_tenant_staff_in_idx" ON "shifts" USING btree ("tenant_id","staff_id","clock_in_at");--> statement-breakpoint
CREATE INDEX "shifts_tenant_in_idx" ON "shifts" USING btree ("tenant_id","clock_in_at");--> statement-breakpoint
CREATE UNIQUE INDEX "guardians_tenant_pin_hash_key" ON "guardians" USING btree ("tenant_id","pin_hash");--> statement-breakpoint
-- Hand-written (issue 14): the new tables get the tenant isolation every tenant table has (0001_security.sql), and the
-- restricted role its grants (default privileges cover new tables only for the role that ran 0001; be explicit).
GRANT SELECT, INSERT, UPDATE, DELETE ON shifts, kiosks TO daycare_app;
--> statement-breakpoint
ALTER TABLE shifts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE shifts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON shifts USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE kiosks ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE kiosks FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON kiosks USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
-- A shift names a room and a staff member of its own centre only (the composite keys above), and a clock-out never
-- comes before its clock-in.
ALTER TABLE shifts ADD CONSTRAINT shifts_out_after_in CHECK (clock_out_at IS NULL OR clock_out_at >= clock_in_at);

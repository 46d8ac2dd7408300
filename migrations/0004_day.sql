CREATE TABLE "absences" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	"date" date NOT NULL,
	"reason" text NOT NULL,
	"note" text,
	"reported_by_membership_id" uuid NOT NULL,
	CONSTRAINT "absences_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "care_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	"type" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"end_at" timestamp with time zone,
	"date" date NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"note" text,
	"visible_to_guardians" boolean DEFAULT true NOT NULL,
	"recorded_by_membership_id" uuid NOT NULL,
	"batch_id" uuid,
	CONSTRAINT "care_entries_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	"room_id" uuid,
	"occurred_at" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"description" text NOT NULL,
	"action_taken" text NOT NULL,
	"location" text,
	"status" text DEFAULT 'open' NOT NULL,
	"reported_by_membership_id" uuid NOT NULL,
	"reviewed_at" timestamp with time zone,
	"reviewed_by_membership_id" uuid,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by_guardian_id" uuid,
	"reminded_at" timestamp with time zone,
	CONSTRAINT "incidents_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "attendance" ADD COLUMN "moved_to_room_id" uuid;--> statement-breakpoint
ALTER TABLE "attendance" ADD COLUMN "method" text DEFAULT 'staff' NOT NULL;--> statement-breakpoint
ALTER TABLE "absences" ADD CONSTRAINT "absences_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "absences" ADD CONSTRAINT "absences_student_fk" FOREIGN KEY ("tenant_id","student_id") REFERENCES "public"."students"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "care_entries" ADD CONSTRAINT "care_entries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "care_entries" ADD CONSTRAINT "care_entries_student_fk" FOREIGN KEY ("tenant_id","student_id") REFERENCES "public"."students"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_student_fk" FOREIGN KEY ("tenant_id","student_id") REFERENCES "public"."students"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_room_fk" FOREIGN KEY ("tenant_id","room_id") REFERENCES "public"."rooms"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_ack_guardian_fk" FOREIGN KEY ("tenant_id","acknowledged_by_guardian_id") REFERENCES "public"."guardians"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "absences_one_per_student_day" ON "absences" USING btree ("tenant_id","student_id","date");--> statement-breakpoint
CREATE INDEX "absences_tenant_date_idx" ON "absences" USING btree ("tenant_id","date","student_id");--> statement-breakpoint
CREATE INDEX "care_entries_tenant_student_date_idx" ON "care_entries" USING btree ("tenant_id","student_id","date","at");--> statement-breakpoint
CREATE INDEX "incidents_tenant_student_idx" ON "incidents" USING btree ("tenant_id","student_id","occurred_at");--> statement-breakpoint
CREATE INDEX "incidents_tenant_status_idx" ON "incidents" USING btree ("tenant_id","status","occurred_at");--> statement-breakpoint
CREATE INDEX "incidents_awaiting_ack_idx" ON "incidents" USING btree ("tenant_id","reviewed_at") WHERE status = 'reviewed' and reminded_at is null;--> statement-breakpoint
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_moved_to_room_fk" FOREIGN KEY ("tenant_id","moved_to_room_id") REFERENCES "public"."rooms"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Hand-written from here (drizzle-kit does not generate these): closed sets, RLS, grants and the incident state machine.
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_method_check" CHECK ("method" IN ('staff', 'kiosk'));
--> statement-breakpoint
ALTER TABLE "absences" ADD CONSTRAINT "absences_reason_check" CHECK ("reason" IN ('sick', 'vacation', 'appointment', 'family', 'other'));
--> statement-breakpoint
ALTER TABLE "care_entries" ADD CONSTRAINT "care_entries_type_check" CHECK ("type" IN ('meal', 'bottle', 'nap', 'diaper', 'toilet', 'mood', 'activity', 'note'));
--> statement-breakpoint
ALTER TABLE "care_entries" ADD CONSTRAINT "care_entries_end_after_start" CHECK ("end_at" IS NULL OR "end_at" >= "at");
--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_status_check" CHECK (
  ("status" = 'open' AND "reviewed_at" IS NULL AND "acknowledged_at" IS NULL AND "acknowledged_by_guardian_id" IS NULL)
  OR ("status" = 'reviewed' AND "reviewed_at" IS NOT NULL AND "acknowledged_at" IS NULL AND "acknowledged_by_guardian_id" IS NULL)
  OR ("status" = 'acknowledged' AND "reviewed_at" IS NOT NULL AND "acknowledged_at" IS NOT NULL AND "acknowledged_by_guardian_id" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_type_check" CHECK ("type" IN ('injury', 'illness', 'allergic_reaction', 'behaviour', 'other'));
--> statement-breakpoint
-- The state machine open → reviewed → acknowledged, whatever path writes: no step back, no skipping, and an
-- acknowledged incident (the signed record) never changes again.
CREATE OR REPLACE FUNCTION incidents_state_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'acknowledged' THEN
    RAISE EXCEPTION 'an acknowledged incident cannot be changed' USING ERRCODE = 'check_violation', CONSTRAINT = 'incidents_acknowledged_frozen';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
    (OLD.status = 'open' AND NEW.status = 'reviewed') OR (OLD.status = 'reviewed' AND NEW.status = 'acknowledged')
  ) THEN
    RAISE EXCEPTION 'incident status cannot go from % to %', OLD.status, NEW.status USING ERRCODE = 'check_violation', CONSTRAINT = 'incidents_state_machine';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER incidents_state_guard BEFORE UPDATE ON incidents FOR EACH ROW EXECUTE FUNCTION incidents_state_guard();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION incidents_insert_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status <> 'open' THEN
    RAISE EXCEPTION 'an incident starts open' USING ERRCODE = 'check_violation', CONSTRAINT = 'incidents_state_machine';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER incidents_insert_open BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION incidents_insert_open();
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON absences, care_entries, incidents TO daycare_app;
--> statement-breakpoint
ALTER TABLE absences ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE absences FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON absences USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE care_entries ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE care_entries FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON care_entries USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE incidents ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE incidents FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON incidents USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

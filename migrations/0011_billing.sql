CREATE TABLE "billing_account_payers" (
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"guardian_id" uuid NOT NULL,
	CONSTRAINT "billing_account_payers_pk" PRIMARY KEY("tenant_id","account_id","guardian_id")
);
--> statement-breakpoint
CREATE TABLE "billing_account_students" (
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	CONSTRAINT "billing_account_students_pk" PRIMARY KEY("tenant_id","account_id","student_id")
);
--> statement-breakpoint
CREATE TABLE "billing_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "billing_accounts_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "billing_charges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"student_id" uuid,
	"kind" text DEFAULT 'manual' NOT NULL,
	"description" text NOT NULL,
	"amount" bigint NOT NULL,
	"service_date" date NOT NULL,
	"status" text NOT NULL,
	"attendance_id" uuid,
	"decided_by_membership_id" uuid,
	CONSTRAINT "billing_charges_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "billing_invoice_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"invoice_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"kind" text NOT NULL,
	"student_id" uuid,
	"description" text NOT NULL,
	"amount" bigint NOT NULL,
	"service_from" date,
	"service_to" date,
	"plan_id" uuid,
	"subscription_id" uuid,
	"charge_id" uuid
);
--> statement-breakpoint
CREATE TABLE "billing_invoices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"period" text NOT NULL,
	"number" integer,
	"state" text DEFAULT 'draft' NOT NULL,
	"total" bigint NOT NULL,
	"issue_date" date,
	"due_date" date,
	"void_reason" text,
	"voided_at" timestamp with time zone,
	CONSTRAINT "billing_invoices_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "billing_ledger_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "billing_ledger_entries_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"type" text NOT NULL,
	"amount" bigint NOT NULL,
	"effective_date" date NOT NULL,
	"invoice_id" uuid,
	"payment_id" uuid,
	"refund_id" uuid,
	"memo" text DEFAULT '' NOT NULL,
	"created_by_membership_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_ledger_entries_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "billing_payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"method" text NOT NULL,
	"status" text NOT NULL,
	"payer_guardian_id" uuid,
	"received_on" date,
	"reference" text,
	"succeeded_at" timestamp with time zone,
	"provider" text,
	"provider_ref" text,
	"recorded_by_membership_id" uuid,
	CONSTRAINT "billing_payments_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "billing_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"amount" bigint NOT NULL,
	"interval" text DEFAULT 'month' NOT NULL,
	"archived_at" timestamp with time zone,
	CONSTRAINT "billing_plans_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "billing_refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"payment_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"succeeded_at" timestamp with time zone,
	"provider_ref" text,
	CONSTRAINT "billing_refunds_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "billing_settings" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"due_day" integer DEFAULT 1 NOT NULL,
	"sibling_discounts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"late_pickup" jsonb,
	"tax_id" text,
	"last_invoice_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"tenant_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date,
	CONSTRAINT "billing_subscriptions_tenant_id_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "billing_account_payers" ADD CONSTRAINT "billing_account_payers_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."billing_accounts"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_account_payers" ADD CONSTRAINT "billing_account_payers_guardian_fk" FOREIGN KEY ("tenant_id","guardian_id") REFERENCES "public"."guardians"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_account_students" ADD CONSTRAINT "billing_account_students_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."billing_accounts"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_account_students" ADD CONSTRAINT "billing_account_students_student_fk" FOREIGN KEY ("tenant_id","student_id") REFERENCES "public"."students"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_accounts" ADD CONSTRAINT "billing_accounts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_charges" ADD CONSTRAINT "billing_charges_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_charges" ADD CONSTRAINT "billing_charges_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."billing_accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_charges" ADD CONSTRAINT "billing_charges_student_fk" FOREIGN KEY ("tenant_id","student_id") REFERENCES "public"."students"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_invoice_lines" ADD CONSTRAINT "billing_invoice_lines_invoice_fk" FOREIGN KEY ("tenant_id","invoice_id") REFERENCES "public"."billing_invoices"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_invoices" ADD CONSTRAINT "billing_invoices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_invoices" ADD CONSTRAINT "billing_invoices_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."billing_accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_ledger_entries" ADD CONSTRAINT "billing_ledger_entries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_ledger_entries" ADD CONSTRAINT "billing_ledger_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."billing_accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_ledger_entries" ADD CONSTRAINT "billing_ledger_invoice_fk" FOREIGN KEY ("tenant_id","invoice_id") REFERENCES "public"."billing_invoices"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_ledger_entries" ADD CONSTRAINT "billing_ledger_payment_fk" FOREIGN KEY ("tenant_id","payment_id") REFERENCES "public"."billing_payments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_payments" ADD CONSTRAINT "billing_payments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_payments" ADD CONSTRAINT "billing_payments_account_fk" FOREIGN KEY ("tenant_id","account_id") REFERENCES "public"."billing_accounts"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_payments" ADD CONSTRAINT "billing_payments_payer_fk" FOREIGN KEY ("tenant_id","payer_guardian_id") REFERENCES "public"."guardians"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_plans" ADD CONSTRAINT "billing_plans_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_refunds" ADD CONSTRAINT "billing_refunds_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_refunds" ADD CONSTRAINT "billing_refunds_payment_fk" FOREIGN KEY ("tenant_id","payment_id") REFERENCES "public"."billing_payments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_settings" ADD CONSTRAINT "billing_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_student_fk" FOREIGN KEY ("tenant_id","student_id") REFERENCES "public"."students"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_plan_fk" FOREIGN KEY ("tenant_id","plan_id") REFERENCES "public"."billing_plans"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billing_account_payers_guardian_idx" ON "billing_account_payers" USING btree ("tenant_id","guardian_id");--> statement-breakpoint
CREATE UNIQUE INDEX "billing_account_students_one_account" ON "billing_account_students" USING btree ("tenant_id","student_id");--> statement-breakpoint
CREATE INDEX "billing_charges_account_idx" ON "billing_charges" USING btree ("tenant_id","account_id","status","service_date");--> statement-breakpoint
CREATE UNIQUE INDEX "billing_charges_one_late_pickup" ON "billing_charges" USING btree ("tenant_id","student_id","service_date") WHERE kind = 'late_pickup';--> statement-breakpoint
CREATE INDEX "billing_invoice_lines_invoice_idx" ON "billing_invoice_lines" USING btree ("tenant_id","invoice_id","position");--> statement-breakpoint
CREATE INDEX "billing_invoice_lines_student_idx" ON "billing_invoice_lines" USING btree ("tenant_id","student_id","service_from");--> statement-breakpoint
CREATE INDEX "billing_invoice_lines_charge_idx" ON "billing_invoice_lines" USING btree ("tenant_id","charge_id");--> statement-breakpoint
CREATE INDEX "billing_invoice_lines_plan_idx" ON "billing_invoice_lines" USING btree ("tenant_id","plan_id");--> statement-breakpoint
CREATE INDEX "billing_invoice_lines_subscription_idx" ON "billing_invoice_lines" USING btree ("tenant_id","subscription_id");--> statement-breakpoint
CREATE UNIQUE INDEX "billing_invoices_one_per_period" ON "billing_invoices" USING btree ("tenant_id","account_id","period") WHERE state <> 'void';--> statement-breakpoint
CREATE UNIQUE INDEX "billing_invoices_number_key" ON "billing_invoices" USING btree ("tenant_id","number");--> statement-breakpoint
CREATE INDEX "billing_invoices_tenant_period_idx" ON "billing_invoices" USING btree ("tenant_id","period","state");--> statement-breakpoint
CREATE INDEX "billing_ledger_account_seq_idx" ON "billing_ledger_entries" USING btree ("tenant_id","account_id","seq");--> statement-breakpoint
CREATE INDEX "billing_ledger_account_date_idx" ON "billing_ledger_entries" USING btree ("tenant_id","account_id","effective_date","seq");--> statement-breakpoint
CREATE INDEX "billing_payments_account_idx" ON "billing_payments" USING btree ("tenant_id","account_id","created_at");--> statement-breakpoint
CREATE INDEX "billing_plans_tenant_name_idx" ON "billing_plans" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "billing_refunds_payment_idx" ON "billing_refunds" USING btree ("tenant_id","payment_id");--> statement-breakpoint
CREATE INDEX "billing_subscriptions_student_idx" ON "billing_subscriptions" USING btree ("tenant_id","student_id","start_date");--> statement-breakpoint
CREATE INDEX "billing_subscriptions_plan_idx" ON "billing_subscriptions" USING btree ("tenant_id","plan_id");--> statement-breakpoint
-- Hand-written (issue 24): tenant isolation and grants for the billing tables, as every tenant table has them.
GRANT SELECT, INSERT, UPDATE, DELETE ON billing_settings, billing_plans, billing_accounts, billing_account_payers, billing_account_students, billing_subscriptions, billing_charges, billing_invoices, billing_invoice_lines, billing_payments, billing_refunds TO daycare_app;
--> statement-breakpoint
-- The ledger is append-only for the app: read and insert, never change or remove (a correction is a new entry).
GRANT SELECT, INSERT ON billing_ledger_entries TO daycare_app;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON billing_ledger_entries FROM daycare_app;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'billing_ledger_entries is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER billing_ledger_no_update BEFORE UPDATE OR DELETE ON billing_ledger_entries FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER billing_ledger_no_truncate BEFORE TRUNCATE ON billing_ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION billing_ledger_append_only();
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['billing_settings', 'billing_plans', 'billing_accounts', 'billing_account_payers', 'billing_account_students', 'billing_subscriptions', 'billing_charges', 'billing_invoices', 'billing_invoice_lines', 'billing_payments', 'billing_refunds', 'billing_ledger_entries'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid) WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
  END LOOP;
END $$;
--> statement-breakpoint
ALTER TABLE billing_settings ADD CONSTRAINT billing_settings_due_day CHECK (due_day BETWEEN 1 AND 28);
--> statement-breakpoint
ALTER TABLE billing_plans ADD CONSTRAINT billing_plans_amount_positive CHECK (amount > 0);
--> statement-breakpoint
ALTER TABLE billing_charges ADD CONSTRAINT billing_charges_amount_positive CHECK (amount > 0);
--> statement-breakpoint
ALTER TABLE billing_payments ADD CONSTRAINT billing_payments_amount_positive CHECK (amount > 0);
--> statement-breakpoint
ALTER TABLE billing_refunds ADD CONSTRAINT billing_refunds_amount_positive CHECK (amount > 0);
--> statement-breakpoint
ALTER TABLE billing_subscriptions ADD CONSTRAINT billing_subscriptions_end_after_start CHECK (end_date IS NULL OR end_date >= start_date);

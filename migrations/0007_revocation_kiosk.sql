ALTER TABLE "kiosks" ADD COLUMN "pin_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kiosks" ADD COLUMN "pin_window_ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "kiosks" ADD COLUMN "pin_locked_until" timestamp with time zone;
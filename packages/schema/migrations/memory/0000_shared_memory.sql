CREATE TABLE `shared_memory` (
	`key` text NOT NULL,
	`namespace` text NOT NULL,
	`data_type` text NOT NULL,
	`value` text NOT NULL,
	`metadata` text,
	`version` integer DEFAULT 1,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`expires_at` integer,
	`size_bytes` integer DEFAULT 0,
	`access_count` integer DEFAULT 0,
	`last_accessed` integer,
	PRIMARY KEY(`namespace`, `key`),
	CONSTRAINT "chk_version" CHECK("shared_memory"."version" > 0),
	CONSTRAINT "chk_timestamps" CHECK("shared_memory"."updated_at" >= "shared_memory"."created_at")
);
--> statement-breakpoint
CREATE INDEX `idx_namespace_type` ON `shared_memory` (`namespace`,`data_type`);--> statement-breakpoint
CREATE INDEX `idx_expires_at_not_null` ON `shared_memory` (`expires_at`) WHERE "shared_memory"."expires_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `idx_last_accessed_desc` ON `shared_memory` ("last_accessed" DESC);
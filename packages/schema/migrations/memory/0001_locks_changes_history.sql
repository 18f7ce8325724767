CREATE TABLE `memory_change_context` (
	`id` integer PRIMARY KEY NOT NULL,
	`delete_op` text NOT NULL,
	CONSTRAINT "chk_change_context_id" CHECK("memory_change_context"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `memory_changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace` text NOT NULL,
	`key` text NOT NULL,
	`op` text NOT NULL,
	`version` integer,
	`at` integer NOT NULL,
	CONSTRAINT "chk_change_op" CHECK("memory_changes"."op" IN ('set', 'delete', 'expire'))
);
--> statement-breakpoint
CREATE INDEX `idx_memory_changes_at` ON `memory_changes` (`at`);--> statement-breakpoint
CREATE TABLE `memory_history` (
	`namespace` text NOT NULL,
	`key` text NOT NULL,
	`version` integer NOT NULL,
	`value` text NOT NULL,
	`metadata` text,
	`data_type` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`namespace`, `key`, `version`)
);
--> statement-breakpoint
CREATE TABLE `memory_locks` (
	`namespace` text NOT NULL,
	`key` text NOT NULL,
	`holder` text,
	`token` integer NOT NULL,
	`acquired_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`namespace`, `key`),
	CONSTRAINT "chk_lock_token" CHECK("memory_locks"."token" > 0)
);

CREATE TABLE `agent_memory` (
	`agent_id` text NOT NULL,
	`memory_key` text NOT NULL,
	`access_type` text NOT NULL,
	`timestamp` integer NOT NULL,
	`duration_ms` integer DEFAULT 0,
	`success` BOOLEAN DEFAULT 1,
	PRIMARY KEY(`agent_id`, `memory_key`, `timestamp`),
	CONSTRAINT "chk_access_type" CHECK("agent_memory"."access_type" IN ('read', 'write', 'delete'))
);
--> statement-breakpoint
CREATE TABLE `query_performance` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`query_type` text NOT NULL,
	`execution_time_ms` real NOT NULL,
	`memory_key` text,
	`agent_id` text,
	`timestamp` integer NOT NULL,
	`rows_affected` integer DEFAULT 0,
	`cache_hit` BOOLEAN DEFAULT 0
);

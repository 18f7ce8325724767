-- Reverses 0000_shared_memory.sql (written by hand: drizzle-kit generates no down migrations).
DROP INDEX IF EXISTS `idx_last_accessed_desc`;--> statement-breakpoint
DROP INDEX IF EXISTS `idx_expires_at_not_null`;--> statement-breakpoint
DROP INDEX IF EXISTS `idx_namespace_type`;--> statement-breakpoint
DROP TABLE `shared_memory`;

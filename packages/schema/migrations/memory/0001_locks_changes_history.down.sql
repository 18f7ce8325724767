-- Reverses 0001_locks_changes_history.sql (written by hand: drizzle-kit generates no down migrations).
-- sqlite_sequence (made by memory_changes' AUTOINCREMENT) stays: SQLite cannot drop it (DROP TABLE removes its row).
DROP TABLE `memory_locks`;--> statement-breakpoint
DROP TABLE `memory_history`;--> statement-breakpoint
DROP INDEX IF EXISTS `idx_memory_changes_at`;--> statement-breakpoint
DROP TABLE `memory_changes`;--> statement-breakpoint
DROP TABLE `memory_change_context`;

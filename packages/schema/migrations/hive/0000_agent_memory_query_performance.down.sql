-- Reverses 0000_agent_memory_query_performance.sql (written by hand: drizzle-kit generates no down migrations).
-- SQLite keeps the sqlite_sequence table that AUTOINCREMENT created; the migration recreates nothing in it.
DROP TABLE `query_performance`;--> statement-breakpoint
DROP TABLE `agent_memory`;

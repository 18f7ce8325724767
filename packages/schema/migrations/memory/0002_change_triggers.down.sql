-- Reverses 0002_change_triggers.sql (written by hand).
DROP TRIGGER IF EXISTS `trg_shared_memory_history_delete`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `trg_shared_memory_history_update`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `trg_shared_memory_history_insert`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `trg_shared_memory_change_delete`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `trg_shared_memory_change_update`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `trg_shared_memory_change_insert`;

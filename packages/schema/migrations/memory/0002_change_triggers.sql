-- Custom SQL migration file, put your code below! --
-- Hand-written (drizzle-kit cannot express triggers). The change feed and the history of
-- `versioned` entries are written by the database itself, in the transaction of every write of
-- `shared_memory`, whatever the path (one statement, a group commit, a batch, another tool).
-- `UPDATE OF value`: touch() and the access counters do not change an entry's value and are not
-- changes. A delete is `expire` while the sweep's transaction holds 'expire' in memory_change_context.
CREATE TRIGGER `trg_shared_memory_change_insert` AFTER INSERT ON `shared_memory` BEGIN
  INSERT INTO `memory_changes` (`namespace`, `key`, `op`, `version`, `at`)
    VALUES (new.`namespace`, new.`key`, 'set', coalesce(new.`version`, 1), new.`updated_at`);
END;--> statement-breakpoint
CREATE TRIGGER `trg_shared_memory_change_update` AFTER UPDATE OF `value` ON `shared_memory` BEGIN
  INSERT INTO `memory_changes` (`namespace`, `key`, `op`, `version`, `at`)
    VALUES (new.`namespace`, new.`key`, 'set', coalesce(new.`version`, 1), new.`updated_at`);
END;--> statement-breakpoint
CREATE TRIGGER `trg_shared_memory_change_delete` AFTER DELETE ON `shared_memory` BEGIN
  INSERT INTO `memory_changes` (`namespace`, `key`, `op`, `version`, `at`)
    VALUES (old.`namespace`, old.`key`,
      coalesce((SELECT `delete_op` FROM `memory_change_context` WHERE `id` = 1), 'delete'),
      coalesce(old.`version`, 1),
      CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;--> statement-breakpoint
CREATE TRIGGER `trg_shared_memory_history_insert` AFTER INSERT ON `shared_memory`
  WHEN new.`data_type` = 'versioned' BEGIN
  DELETE FROM `memory_history` WHERE `namespace` = new.`namespace` AND `key` = new.`key`;
  INSERT INTO `memory_history` (`namespace`, `key`, `version`, `value`, `metadata`, `data_type`, `updated_at`)
    VALUES (new.`namespace`, new.`key`, coalesce(new.`version`, 1), new.`value`, new.`metadata`,
      new.`data_type`, new.`updated_at`);
END;--> statement-breakpoint
CREATE TRIGGER `trg_shared_memory_history_update` AFTER UPDATE OF `value` ON `shared_memory`
  WHEN new.`data_type` = 'versioned' OR old.`data_type` = 'versioned' BEGIN
  DELETE FROM `memory_history` WHERE `namespace` = new.`namespace` AND `key` = new.`key`
    AND (new.`data_type` <> 'versioned' OR old.`data_type` <> 'versioned'
      OR `version` >= coalesce(new.`version`, 1));
  INSERT INTO `memory_history` (`namespace`, `key`, `version`, `value`, `metadata`, `data_type`, `updated_at`)
    SELECT new.`namespace`, new.`key`, coalesce(new.`version`, 1), new.`value`, new.`metadata`,
      new.`data_type`, new.`updated_at` WHERE new.`data_type` = 'versioned';
END;--> statement-breakpoint
CREATE TRIGGER `trg_shared_memory_history_delete` AFTER DELETE ON `shared_memory`
  WHEN old.`data_type` = 'versioned' BEGIN
  DELETE FROM `memory_history` WHERE `namespace` = old.`namespace` AND `key` = old.`key`;
END;

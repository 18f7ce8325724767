import { describe, expect, it } from 'vitest';
import { statementKeywords } from '../src/sql-script.js';

describe('statementKeywords (what exec() checks before a script runs)', () => {
  it.each([
    ['INSERT INTO t VALUES (1); COMMIT', ['INSERT', 'COMMIT']],
    ["INSERT INTO t VALUES ('a;COMMIT'); SELECT 1", ['INSERT', 'SELECT']],
    ['/* c; */ END; -- x; ROLLBACK\nSELECT 1', ['END', 'SELECT']],
    ['CREATE TABLE "x;y" (a); SAVEPOINT s', ['CREATE', 'SAVEPOINT']],
    [
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 THEN 2 END; DELETE FROM u; END; RELEASE s',
      ['CREATE', 'RELEASE'],
    ],
    ["SELECT 'it''s; fine'; begin", ['SELECT', 'BEGIN']],
    ['', []],
  ])('%j → %j', (script, expected) => {
    expect(statementKeywords(script)).toEqual(expected);
  });
});

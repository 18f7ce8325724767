import { describe, expect, it } from 'vitest';
import type { Transaction, TransactionEvent } from '../src/index.js';
import { type CodedError, expectRejectCode, sleep, timed, useSandbox } from './helpers/index.js';

const sb = useSandbox();

async function setup() {
  const pool = sb().pool({ filename: 'tx.db' });
  await pool.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  return pool;
}

function catchSync(fn: () => unknown): CodedError | undefined {
  try {
    fn();
  } catch (err) {
    return err as CodedError;
  }
  return undefined;
}

describe('transactions', () => {
  it("commits and resolves with fn's value", async () => {
    const pool = await setup();
    const events: TransactionEvent[] = [];
    pool.events.on('transaction', (e) => events.push(e));
    const value = await pool.transaction((tx) => {
      expect(tx.mode).toBe('immediate');
      tx.run("INSERT INTO t (v) VALUES ('a')");
      return tx.get<{ n: number }>('SELECT count(*) AS n FROM t')!.n;
    });
    expect(value).toBe(1);
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'a' }]);
    expect(events.find((e) => e.mode === 'immediate')?.outcome).toBe('commit');
  });

  it('rolls back when fn throws, and re-throws the same error object', async () => {
    const pool = await setup();
    const committed0 = pool.stats().counters.transactions.rolledBack;
    const boom = new Error('boom');
    await expect(
      pool.transaction((tx) => {
        tx.run("INSERT INTO t (v) VALUES ('never')");
        throw boom;
      }),
    ).rejects.toBe(boom);
    const asyncBoom = new TypeError('async boom');
    await expect(
      pool.transaction(async (tx) => {
        tx.run("INSERT INTO t (v) VALUES ('never either')");
        await sleep(5);
        throw asyncBoom;
      }),
    ).rejects.toBe(asyncBoom);
    expect(await pool.all('SELECT v FROM t')).toEqual([]);
    expect(pool.stats().counters.transactions.rolledBack - committed0).toBe(2);
    // The writer is free again.
    await pool.run("INSERT INTO t (v) VALUES ('after')");
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'after' }]);
  });

  it('a failing nested savepoint rolls back only its own part', async () => {
    const pool = await setup();
    const inner = new Error('inner');
    await pool.transaction(async (tx) => {
      tx.run("INSERT INTO t (v) VALUES ('outer 1')");
      expect(() =>
        tx.savepoint((sp) => {
          sp.run("INSERT INTO t (v) VALUES ('inner sync')");
          throw inner;
        }),
      ).toThrow(inner);
      await expect(
        tx.savepoint(async (sp) => {
          sp.run("INSERT INTO t (v) VALUES ('inner async')");
          await sleep(1);
          // A savepoint inside a savepoint: the inner one succeeds, the outer one then fails.
          sp.savepoint((sp2: Transaction) => sp2.run("INSERT INTO t (v) VALUES ('inner inner')"));
          throw inner;
        }),
      ).rejects.toBe(inner);
      const kept = tx.savepoint((sp) => {
        sp.run("INSERT INTO t (v) VALUES ('kept')");
        return 'ok';
      });
      expect(kept).toBe('ok');
      tx.run("INSERT INTO t (v) VALUES ('outer 2')");
    });
    expect(await pool.all('SELECT v FROM t ORDER BY id')).toEqual([
      { v: 'outer 1' },
      { v: 'kept' },
      { v: 'outer 2' },
    ]);
  });

  it('timeoutMs: rolls back, releases the writer, and poisons the handle', async () => {
    const pool = await setup();
    let handle: Transaction | undefined;
    let lateError: CodedError | undefined;
    let resumed = false;
    let fnDone!: () => void;
    const fnFinished = new Promise<void>((r) => {
      fnDone = r;
    });

    const t = await timed(() =>
      pool.transaction(
        async (tx) => {
          handle = tx;
          tx.run("INSERT INTO t (v) VALUES ('timed out')");
          await sleep(400);
          resumed = true;
          lateError = catchSync(() => tx.run("INSERT INTO t (v) VALUES ('late')"));
          fnDone();
        },
        { timeoutMs: 100 },
      ),
    );
    expect((t.error as CodedError).code).toBe('POOL_TRANSACTION_TIMEOUT');
    expect(t.ms).toBeGreaterThanOrEqual(90);
    // Rejected when the timeout passed, not when fn finally finished.
    expect(t.ms).toBeLessThan(350);
    expect(resumed).toBe(false);

    // The writer was released at the timeout: the next transaction runs while fn still sleeps.
    await pool.transaction((tx) => tx.run("INSERT INTO t (v) VALUES ('next')"));
    expect(resumed).toBe(false);
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'next' }]);

    await fnFinished;
    expect(lateError?.code).toBe('POOL_TRANSACTION_TIMEOUT');
    expect(catchSync(() => handle!.get('SELECT 1'))?.code).toBe('POOL_TRANSACTION_TIMEOUT');
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'next' }]);
    expect(pool.stats().counters.transactions.timedOut).toBe(1);
  });

  it('begin() / commit(): nothing is visible before commit; the handle is closed after', async () => {
    const pool = await setup();
    const h = await pool.begin();
    expect(h.active).toBe(true);
    h.run("INSERT INTO t (v) VALUES ('begun')");
    // Our own single-statement writes queue behind the open transaction.
    let queuedDone = false;
    const queued = pool.run("INSERT INTO t (v) VALUES ('queued')").then(() => {
      queuedDone = true;
    });
    await sleep(50);
    expect(queuedDone).toBe(false);
    expect(await pool.all('SELECT v FROM t')).toEqual([]);
    await h.commit();
    expect(h.active).toBe(false);
    await queued;
    expect(await pool.all('SELECT v FROM t ORDER BY id')).toEqual([
      { v: 'begun' },
      { v: 'queued' },
    ]);
    expect(catchSync(() => h.run("INSERT INTO t (v) VALUES ('after commit')"))?.code).toBe(
      'POOL_TRANSACTION_CLOSED',
    );
    await expectRejectCode(h.commit(), 'POOL_TRANSACTION_CLOSED');
  });

  it('begin() / rollback(): undone, idempotent, writer released', async () => {
    const pool = await setup();
    const h = await pool.begin();
    h.run("INSERT INTO t (v) VALUES ('undone')");
    await h.rollback();
    await h.rollback();
    expect(h.active).toBe(false);
    expect(await pool.all('SELECT v FROM t')).toEqual([]);
    expect(catchSync(() => h.get('SELECT 1'))?.code).toBe('POOL_TRANSACTION_CLOSED');
    await pool.run("INSERT INTO t (v) VALUES ('next')");
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'next' }]);
  });

  it('begin({ timeoutMs }): a forgotten handle is rolled back and the writer freed', async () => {
    const pool = await setup();
    const h = await pool.begin({ timeoutMs: 100 });
    h.run("INSERT INTO t (v) VALUES ('forgotten')");
    const next = await timed(() => pool.run("INSERT INTO t (v) VALUES ('next')"));
    expect(next.error).toBeUndefined();
    expect(next.ms).toBeLessThan(2000);
    expect(h.active).toBe(false);
    expect(catchSync(() => h.run('SELECT 1'))?.code).toBe('POOL_TRANSACTION_TIMEOUT');
    await expectRejectCode(h.commit(), 'POOL_TRANSACTION_TIMEOUT');
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'next' }]);
  });

  it('a SQLite error inside fn rejects with POOL_SQLITE_ERROR and rolls back', async () => {
    const pool = await setup();
    await pool.run("INSERT INTO t (id, v) VALUES (1, 'one')");
    const err = await expectRejectCode(
      pool.transaction((tx) => {
        tx.run("INSERT INTO t (id, v) VALUES (2, 'two')");
        tx.run("INSERT INTO t (id, v) VALUES (1, 'dup')");
      }),
      'POOL_SQLITE_ERROR',
    );
    expect(err.sqliteCode).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'one' }]);
  });

  it.each(['COMMIT', 'END', 'ROLLBACK', 'end transaction', '/* c */ COMMIT', '-- c\nROLLBACK'])(
    'tx.run(%j) is refused with POOL_TRANSACTION_CONTROL: the transaction stays all-or-nothing',
    async (control) => {
      const pool = await setup();
      const boom = new Error('boom');
      let controlError: CodedError | undefined;
      await expect(
        pool.transaction((tx) => {
          tx.run("INSERT INTO t (v) VALUES ('before')");
          controlError = catchSync(() => tx.run(control));
          tx.run("INSERT INTO t (v) VALUES ('after')");
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(controlError?.code).toBe('POOL_TRANSACTION_CONTROL');
      expect(await pool.all('SELECT v FROM t')).toEqual([]);
    },
  );

  it('deferred transactions read a consistent snapshot', async () => {
    const pool = await setup();
    await pool.run("INSERT INTO t (v) VALUES ('x')");
    const n = await pool.transaction(
      (tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM t')!.n,
      {
        mode: 'deferred',
      },
    );
    expect(n).toBe(1);
  });

  it.each([
    "INSERT INTO t (v) VALUES ('in script'); COMMIT",
    "INSERT INTO t (v) VALUES ('in script'); /* c */ END; INSERT INTO t (v) VALUES ('autocommit')",
  ])(
    'tx.exec(%j) is refused before it runs: the transaction stays all-or-nothing',
    async (script) => {
      const pool = await setup();
      const boom = new Error('boom');
      let controlError: CodedError | undefined;
      await expect(
        pool.transaction((tx) => {
          tx.run("INSERT INTO t (v) VALUES ('before')");
          controlError = catchSync(() => tx.exec(script));
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(controlError?.code).toBe('POOL_TRANSACTION_CONTROL');
      expect(await pool.all('SELECT v FROM t')).toEqual([]);
    },
  );

  it('tx.exec runs a script whose trigger body has BEGIN … END', async () => {
    const pool = await setup();
    await pool.transaction((tx) =>
      tx.exec(`
        CREATE TABLE audit (v TEXT);
        CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN INSERT INTO audit (v) VALUES (NEW.v); END;
        INSERT INTO t (v) VALUES ('x');
      `),
    );
    expect(await pool.all('SELECT v FROM audit')).toEqual([{ v: 'x' }]);
  });

  it.each(['BEGIN', '/* c */ BEGIN', 'COMMIT', '  -- c\n  ROLLBACK', 'SAVEPOINT s', 'RELEASE s'])(
    'pool.run / get / executeQuery refuse %j with POOL_TRANSACTION_CONTROL',
    async (control) => {
      const pool = await setup();
      await expectRejectCode(pool.run(control), 'POOL_TRANSACTION_CONTROL');
      await expectRejectCode(pool.get(control), 'POOL_TRANSACTION_CONTROL');
      await expectRejectCode(pool.executeQuery(control), 'POOL_TRANSACTION_CONTROL');
      // The pool is unharmed.
      await pool.run("INSERT INTO t (v) VALUES ('ok')");
      expect(await pool.all('SELECT v FROM t')).toEqual([{ v: 'ok' }]);
    },
  );
});

import { HiveDbError, type HiveDbErrorOptions } from '@hivedb/pool';

/** Every error code `@hivedb/testkit` throws. */
export type TestkitErrorCode =
  /** A fixture or fault was called with a bad argument (the message names it). */
  | 'TESTKIT_INVALID_ARGUMENT'
  /** A child process failed, exited early, or did not answer in time (its stderr is in the message). */
  | 'TESTKIT_CHILD_FAILED'
  /** A fault could not be injected (the file is missing, too small, …). */
  | 'TESTKIT_FAULT_FAILED';

/** The error `@hivedb/testkit` throws: a `HiveDbError` whose `code` is a `TestkitErrorCode`. */
export class TestkitError extends HiveDbError {
  declare readonly code: TestkitErrorCode;
  constructor(code: TestkitErrorCode, message: string, options: HiveDbErrorOptions = {}) {
    super(code, message, options);
  }
}

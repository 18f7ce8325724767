// Imports the built package by its name, as an ESM consumer would, and prints what it exports.
import * as pool from '@hivedb/pool';

const err = new pool.HiveDbError('POOL_CLOSED', 'x');
process.stdout.write(
  `${JSON.stringify({ exports: Object.keys(pool).sort(), isHiveDbError: pool.isHiveDbError(err), code: err.code })}\n`,
);

/** @hivedb/cli — under construction. */
export const VERSION = '0.1.0';

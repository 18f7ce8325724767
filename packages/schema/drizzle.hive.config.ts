import { defineConfig } from 'drizzle-kit';

/** drizzle-kit's config for `hive.db`: `drizzle-kit generate --config drizzle.hive.config.ts`. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/tables/hive.ts',
  out: process.env.HIVEDB_MIGRATIONS_OUT ?? './migrations/hive',
  breakpoints: true,
  strict: true,
});

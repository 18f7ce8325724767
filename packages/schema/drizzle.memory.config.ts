import { defineConfig } from 'drizzle-kit';

/** drizzle-kit's config for `memory.db`: `drizzle-kit generate --config drizzle.memory.config.ts`. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/tables/memory.ts',
  out: process.env.HIVEDB_MIGRATIONS_OUT ?? './migrations/memory',
  breakpoints: true,
  strict: true,
});

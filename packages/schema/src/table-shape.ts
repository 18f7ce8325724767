/**
 * The comparable shape of a table, built from Drizzle definitions (`expectedSchema`) or from a
 * live database (`readLiveSchema`). SQL fragments are normalised with `normalizeSql` on both sides.
 */
export interface TableShape {
  readonly name: string;
  readonly columns: readonly ColumnShape[];
  /** Primary key columns in key order (one for a rowid alias, several for a composite key). */
  readonly primaryKey: readonly string[];
  readonly autoincrement: boolean;
  readonly indexes: readonly IndexShape[];
  readonly checks: readonly CheckShape[];
  /** One normalised line per foreign key: `cols->parent(cols) on delete … on update …`. */
  readonly foreignKeys: readonly string[];
}

/** A column's declared type (upper case), NOT NULL, and default (normalised SQL, or null). */
export interface ColumnShape {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly defaultValue: string | null;
}

/** A named index: its key columns (`name` or `name desc`), uniqueness and partial `WHERE`. */
export interface IndexShape {
  readonly name: string;
  readonly unique: boolean;
  readonly columns: readonly string[];
  readonly where: string | null;
}

/** A named CHECK constraint and its normalised expression. */
export interface CheckShape {
  readonly name: string;
  readonly expression: string;
}

/**
 * A canonical form of a SQL fragment for comparison only: lower case, identifier quotes and
 * table qualifiers removed, whitespace removed, redundant outer parentheses removed.
 * `"shared_memory"."expires_at" IS NOT NULL` and `expires_at is not null` compare equal.
 */
export function normalizeSql(fragment: string): string {
  let s = fragment
    .toLowerCase()
    .replace(/[`"[\]]/g, '')
    .replace(/\b[a-z_]\w*\.(?=[a-z_])/g, '')
    .replace(/\s+/g, '');
  while (s.startsWith('(') && s.endsWith(')') && closesAtEnd(s)) s = s.slice(1, -1);
  return s;
}

/** Whether the parenthesis opening `s` is the one closing it. */
function closesAtEnd(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') {
      depth--;
      if (depth === 0) return i === s.length - 1;
    }
  }
  return false;
}

/** Orders a shape's indexes, checks and foreign keys by name, so that two shapes compare by content. */
export function sortShape(shape: TableShape): TableShape {
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return {
    ...shape,
    indexes: [...shape.indexes].sort(byName),
    checks: [...shape.checks].sort(byName),
    foreignKeys: [...shape.foreignKeys].sort(),
  };
}

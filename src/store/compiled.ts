// Statements of the hottest paths, compiled once. Building a query with Kysely's builder
// costs more CPU than SQLite takes to run a one-row insert (docs/benchmarks.md, profiles);
// these are written once with `?` placeholders and numbered for Postgres.
import { CompiledQuery } from 'kysely';
import type { Dialect } from './migrations.js';

export type Statement = (params: readonly unknown[]) => CompiledQuery;

export function statement(dialect: Dialect, text: string): Statement {
  let n = 0;
  const sqlText = dialect === 'postgres' ? text.replace(/\?/g, () => `$${++n}`) : text;
  return (params) => CompiledQuery.raw(sqlText, [...params]);
}

/** insert into "table" ("a", "b") values (?, ?) */
export function insertStatement(dialect: Dialect, table: string, columns: readonly string[]): Statement {
  return statement(dialect, `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`);
}

/** insert into "table" (…) values (?, …), (?, …)…: one statement per row count, each compiled once. */
export class MultiRowInsert {
  private readonly bySize = new Map<number, Statement>();

  constructor(
    private readonly dialect: Dialect,
    private readonly table: string,
    readonly columns: readonly string[],
  ) {}

  rows(n: number): Statement {
    let s = this.bySize.get(n);
    if (!s) {
      const one = `(${this.columns.map(() => '?').join(', ')})`;
      const cols = this.columns.map((c) => `"${c}"`).join(', ');
      s = statement(this.dialect, `insert into "${this.table}" (${cols}) values ${Array.from({ length: n }, () => one).join(', ')}`);
      this.bySize.set(n, s);
    }
    return s;
  }
}

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

/**
 * insert into "table" (…) values (?, …), (?, …)…: one statement per row count, each compiled
 * once. `fixed` columns get the same SQL literal in every row (a parameter fewer per row to
 * copy to the writer thread and bind).
 */
export class MultiRowInsert {
  private readonly bySize = new Map<number, { text: string; statement: Statement }>();

  constructor(
    private readonly dialect: Dialect,
    private readonly table: string,
    readonly columns: readonly string[],
    private readonly fixed: Readonly<Record<string, string>> = {},
    /** Appended to the statement, e.g. `returning "id"`. */
    private readonly suffix = '',
  ) {}

  rows(n: number): Statement {
    return this.compiled(n).statement;
  }

  /** The SQL text for n rows (SQLite's `?` placeholders on SQLite; `$n` on Postgres). */
  text(n: number): string {
    return this.compiled(n).text;
  }

  private compiled(n: number): { text: string; statement: Statement } {
    let s = this.bySize.get(n);
    if (!s) {
      const fixed = Object.keys(this.fixed);
      const one = `(${[...this.columns.map(() => '?'), ...fixed.map((c) => this.fixed[c])].join(', ')})`;
      const cols = [...this.columns, ...fixed].map((c) => `"${c}"`).join(', ');
      const statementOf = statement(this.dialect, `insert into "${this.table}" (${cols}) values ${Array.from({ length: n }, () => one).join(', ')}${this.suffix ? ' ' + this.suffix : ''}`);
      s = { statement: statementOf, text: statementOf([]).sql };
      this.bySize.set(n, s);
    }
    return s;
  }
}

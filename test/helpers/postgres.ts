// Postgres for tests: OPENZAP_TEST_DATABASE_URL names a server (e.g. postgres://postgres@127.0.0.1:5432/postgres);
// each suite gets a database of its own, dropped afterwards. Without the variable the
// Postgres suites are skipped locally; .ci/run always sets it.
import pg from 'pg';

export const PG_URL = process.env.OPENZAP_TEST_DATABASE_URL ?? '';

// CI sets OPENZAP_REQUIRE_POSTGRES: there the Postgres suites must run, never silently skip.
if (process.env.OPENZAP_REQUIRE_POSTGRES && !PG_URL) {
  throw new Error('OPENZAP_REQUIRE_POSTGRES is set but OPENZAP_TEST_DATABASE_URL is not');
}

export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `openzap_test_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Backend {
  name: string;
  env: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;
}

/** SQLite always; Postgres too when OPENZAP_TEST_DATABASE_URL is set. */
export const backends: Backend[] = [{ name: 'sqlite', env: async () => ({ env: {}, cleanup: async () => undefined }) }];
if (PG_URL) {
  backends.push({
    name: 'postgres',
    env: async () => {
      const db = await freshDatabase();
      return { env: { OPENZAP_DATABASE_URL: db.url }, cleanup: db.drop };
    },
  });
}

/** A database for a test that opens the store itself: url null is SQLite (in the data dir). */
export interface TestDatabase {
  url: string | null;
  drop: () => Promise<void>;
}

/** For tests that open the store themselves: SQLite always; a fresh Postgres database too when OPENZAP_TEST_DATABASE_URL is set. */
export const databases: Array<{ name: string; open: () => Promise<TestDatabase> }> = [{ name: 'sqlite', open: async () => ({ url: null, drop: async () => undefined }) }];
if (PG_URL) databases.push({ name: 'postgres', open: freshDatabase });

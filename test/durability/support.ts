// Shared pieces of the durability suites: the storage backends (SQLite file, Postgres
// database) with a way to read their tables after the server stopped, the real server as
// a child process that can be SIGKILLed, and a webhook receiver that logs every attempt
// with its headers and can refuse connections, answer errors, or come back on its port.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { PG_URL, freshDatabase } from '../helpers/postgres.js';
import { testEnv } from '../helpers/server.js';
import { call } from '../helpers/http.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Read-only access to the tables of a stopped (or running) server. */
export interface Inspector {
  rows<T = any>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Extra server env (OPENZAP_DATABASE_URL for Postgres) and how to look inside afterwards. */
  setup(): Promise<{ env: Record<string, string>; inspect(dataDir: string): Promise<Inspector>; cleanup(): Promise<void> }>;
}

function sqliteInspector(dataDir: string): Inspector {
  const db = new SQLite(path.join(dataDir, 'openzap.db'), { readonly: true });
  return {
    rows: async (q, params = []) => db.prepare(q.replace(/\$\d+/g, '?')).all(...params) as any[],
    close: async () => {
      db.close();
    },
  };
}

async function pgInspector(url: string): Promise<Inspector> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    rows: async (q, params = []) => (await c.query(q, params)).rows,
    close: () => c.end(),
  };
}

export const backends: Backend[] = [
  { name: 'sqlite', setup: async () => ({ env: {}, inspect: async (dir) => sqliteInspector(dir), cleanup: async () => undefined }) },
];
if (PG_URL) {
  backends.push({
    name: 'postgres',
    setup: async () => {
      const db = await freshDatabase();
      // A closed server's pool ends its connections a moment after close() resolves; dropping the
      // database WITH (FORCE) before that makes those connections emit an uncaught 57P01 error.
      const cleanup = async () => {
        await sleep(300);
        await db.drop();
      };
      return { env: { OPENZAP_DATABASE_URL: db.url }, inspect: () => pgInspector(db.url), cleanup };
    },
  });
}

/** A port nobody listens on right now (for a server that must come back on the same port). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const MAIN = path.resolve('dist/main.js');

/** `node dist/main.js` on 127.0.0.1:port with the test env; kill() is SIGKILL, stop() is SIGTERM. */
export class ChildServer {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout!.on('data', (c) => (this.output += c));
    child.stderr!.on('data', (c) => (this.output += c));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(opts: { dataDir: string; port: number; env?: Record<string, string> }): Promise<ChildServer> {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does it)`);
    // Only PATH from the parent: an OPENZAP_* variable of the developer's shell must not leak in.
    const env = { PATH: process.env.PATH ?? '', ...testEnv(opts.dataDir, { OPENZAP_PORT: String(opts.port), ...opts.env }) };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const s = new ChildServer(child, `http://127.0.0.1:${opts.port}`);
    const end = Date.now() + 15_000;
    while (!/listening on/.test(s.output)) {
      if (child.exitCode !== null || Date.now() > end) {
        child.kill('SIGKILL');
        throw new Error(`OpenZap child did not start (exit ${child.exitCode}): ${s.output}`);
      }
      await sleep(10);
    }
    return s;
  }

  get log(): string {
    return this.output;
  }

  /** kill -9: no shutdown code runs. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop; resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

export interface Attempt {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The outbox id (x-openzap-event-id). */
  eventId: number;
  status: number;
  body: any;
  at: number;
}

/**
 * A webhook receiver that logs every request it answers (headers included), so failed
 * attempts can be matched with the attempt log. stop() refuses connections; start(port)
 * brings it back on the same port; failWith answers every request with that status.
 */
export class RecordingReceiver {
  readonly attempts: Attempt[] = [];
  failWith: number | null = null;
  port = 0;
  private server: http.Server | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests answered with 2xx, in arrival order. */
  get delivered(): Attempt[] {
    return this.attempts.filter((a) => a.status < 300);
  }

  async start(port = this.port): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const status = this.failWith ?? 200;
        let body: any = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          /* keep raw */
        }
        const eventId = Number(req.headers['x-openzap-event-id']);
        this.attempts.push({ path: req.url ?? '/', headers: req.headers, eventId, status, body, at: Date.now() });
        res.statusCode = status;
        res.end(status < 300 ? 'ok' : 'fail');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Partner-create a sandbox instance on a server at `url`, point every webhook at `hook` and pair it. */
export async function pairedInstanceAt(url: string, partnerToken: string, hook: string, phone: string) {
  const created = await call('POST', `${url}/instances/integrator/on-demand`, { name: 'durability', engine: 'sandbox' }, { authorization: `Bearer ${partnerToken}` });
  if (created.status !== 200) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  const token = created.body.token as string;
  const path = (base: string) => `${base}/instances/${id}/token/${token}`;
  const hooks = await call('PUT', `${path(url)}/update-every-webhooks`, { value: hook, notifySentByMe: false });
  if (hooks.status !== 200) throw new Error(`webhooks failed: ${JSON.stringify(hooks.body)}`);
  const paired = await call('POST', `${path(url)}/sandbox/pair`, { phone });
  if (paired.status !== 200) throw new Error(`pair failed: ${JSON.stringify(paired.body)}`);
  return { id, token, phone, path };
}

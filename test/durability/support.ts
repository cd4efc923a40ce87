// Shared pieces of the durability suites: the storage backends (SQLite file, Postgres
// database) with a way to read their tables after the server stopped, the real server as
// a child process that can be SIGKILLed, a webhook receiver that logs every attempt
// with its headers and can refuse connections, answer errors, or come back on its port,
// and sandbox "processes" (store, network, engines) that can be restarted on the same data.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/db.js';
import { SandboxEngine } from '../../src/engines/sandbox/engine.js';
import { SandboxNetwork } from '../../src/engines/sandbox/network.js';
import type { EngineEvents } from '../../src/engines/engine.js';
import { PG_URL, freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { testEnv } from '../helpers/server.js';
import { call } from '../helpers/http.js';
import { LocalServer } from '../helpers/local-server.js';

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
export class RecordingReceiver extends LocalServer {
  readonly attempts: Attempt[] = [];
  failWith: number | null = null;

  /** Requests answered with 2xx, in arrival order. */
  get delivered(): Attempt[] {
    return this.attempts.filter((a) => a.status < 300);
  }

  async start(port = this.port): Promise<this> {
    await this.listen((req, res) => {
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
    }, port);
    return this;
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

type StatusEvent = EngineEvents['messageStatus'][0];
type MessageEvent = EngineEvents['message'][0];
type RevokeEvent = EngineEvents['messageRevoked'][0];
/** One event of an engine: a message status, a message or a revoke. */
export type OutboxEvent = { s?: StatusEvent; m?: MessageEvent; r?: RevokeEvent };

/** The outbox of one sandbox instance across every process: what was recorded, in order. */
export class Outbox {
  readonly statuses: StatusEvent[] = [];
  readonly messages: MessageEvent[] = [];
  readonly revokes: RevokeEvent[] = [];
  /** The next batch holding a matching event is not recorded (the write fails). */
  failNext: ((e: OutboxEvent) => boolean) | null = null;
  failures = 0;

  statusesOf(id: string): string[] {
    return this.statuses.filter((s) => s.ids.includes(id)).map((s) => s.status);
  }

  count(id: string, status: string): number {
    return this.statuses.filter((s) => s.ids.includes(id) && s.status === status).length;
  }
}

/** The sandbox instances of a process, by instance id: each one's phone and outbox. */
export type SandboxInstances = Record<string, { phone: string; outbox: Outbox }>;

/** One OpenZap process: the store, the network and the engines of the given instances. */
export class SandboxProcess {
  private constructor(
    readonly dataDir: string,
    readonly url: string | null,
    readonly store: Store,
    readonly network: SandboxNetwork,
    readonly engines: Map<string, SandboxEngine>,
  ) {}

  /** Open the data (SQLite in dataDir when url is null), then run the engines in the order given. */
  static async start(dataDir: string, url: string | null, delayMs: number, instances: SandboxInstances): Promise<SandboxProcess> {
    const store = await openStore({ dataDir, databaseUrl: url });
    const network = new SandboxNetwork(store.db, delayMs, store.dialect);
    const p = new SandboxProcess(dataDir, url, store, network, new Map());
    for (const [id, inst] of Object.entries(instances)) await p.run(id, inst.phone, inst.outbox);
    await network.resume(); // start-up is over, as server.ts does
    return p;
  }

  async run(instanceId: string, phone: string, outbox: Outbox): Promise<SandboxEngine> {
    let pending: OutboxEvent[] = [];
    const recorded = async () => {
      const batch = pending;
      pending = [];
      const fail = outbox.failNext;
      if (fail && batch.some(fail)) {
        outbox.failNext = null;
        outbox.failures++;
        throw new Error('simulated: the webhook could not be written');
      }
      for (const b of batch) {
        if (b.s) outbox.statuses.push(b.s);
        if (b.m) outbox.messages.push(b.m);
        if (b.r) outbox.revokes.push(b.r);
      }
    };
    const engine = new SandboxEngine(instanceId, this.store.db, this.network, recorded);
    engine.events.on('messageStatus', (s) => pending.push({ s }));
    engine.events.on('message', (m) => pending.push({ m }));
    engine.events.on('messageRevoked', (r) => pending.push({ r }));
    this.engines.set(instanceId, engine);
    await engine.connect();
    if (engine.state().status !== 'connected') await engine.pair(phone);
    return engine;
  }

  engine(instanceId: string): SandboxEngine {
    return this.engines.get(instanceId)!;
  }

  async stopEngine(instanceId: string): Promise<void> {
    await this.engines.get(instanceId)?.close();
    this.engines.delete(instanceId);
  }

  row(id: string) {
    return this.store.db.selectFrom('sandbox_messages').select(['status', 'delivered', 'content']).where('id', '=', id).executeTakeFirst();
  }

  /** The process goes away: timers die with it, nothing else is written. */
  async stop(): Promise<void> {
    this.network.close();
    for (const e of this.engines.values()) await e.close();
    await this.store.close();
  }
}

/** The sandbox processes a test starts; stopAll() (after each test) stops them and drops their databases. */
export class SandboxRestarts {
  private readonly running: SandboxProcess[] = [];
  private readonly drops: Array<() => Promise<void>> = [];

  /** The first process, on fresh data: a new data dir and `db` (SQLite in that dir by default). */
  first = async (delayMs: number, instances: SandboxInstances, db: TestDatabase = { url: null, drop: async () => undefined }): Promise<SandboxProcess> => {
    this.drops.push(db.drop);
    const p = await SandboxProcess.start(fs.mkdtempSync(path.join(os.tmpdir(), 'openzap-sandbox-restarts-')), db.url, delayMs, instances);
    this.running.push(p);
    return p;
  };

  /** Stop the process and start a new one on the same data; engines start in the order given. */
  again = async (p: SandboxProcess, delayMs: number, instances: SandboxInstances): Promise<SandboxProcess> => {
    this.running.splice(this.running.indexOf(p), 1);
    await p.stop();
    const next = await SandboxProcess.start(p.dataDir, p.url, delayMs, instances);
    this.running.push(next);
    return next;
  };

  stopAll = async (): Promise<void> => {
    for (const p of this.running.splice(0)) await p.stop();
    for (const d of this.drops.splice(0)) await d();
  };
}

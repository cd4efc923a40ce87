// Instances: creation, settings, billing dates (trial, subscription, cancellation) and a
// read-through cache, since every request and every event needs the row.
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database, InstanceRow, InstanceUpdate } from '../store/schema.js';
import type { EngineKind } from '../config.js';
import { newInstanceId, newInstanceToken } from './ids.js';

const DAY = 86_400_000;
export const CANCEL_GRACE_MS = 30 * DAY;

export type PaymentStatus = 'TRIAL' | 'PAID' | 'CANCELED';

export interface NewInstance {
  accountId: string;
  name: string;
  engine: EngineKind;
  middleware: 'web' | 'mobile';
  sessionName?: string | null;
  businessDevice?: boolean;
  settings?: InstanceUpdate;
}

export interface ListQuery {
  accountId: string;
  page: number;
  pageSize: number;
  query?: string;
  middleware?: string;
}

export class Instances {
  private readonly cache = new Map<string, InstanceRow>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly trialDays: number,
  ) {}

  async loadAll(): Promise<InstanceRow[]> {
    const rows = await this.db.selectFrom('instances').selectAll().execute();
    this.cache.clear();
    for (const r of rows) this.cache.set(r.id, r);
    return rows;
  }

  async get(id: string): Promise<InstanceRow | undefined> {
    const hit = this.cache.get(id.toUpperCase());
    if (hit) return hit;
    const row = await this.db.selectFrom('instances').selectAll().where('id', '=', id.toUpperCase()).executeTakeFirst();
    if (row) this.cache.set(row.id, row);
    return row;
  }

  /** Cached row for hot paths (event handlers); undefined if never loaded. */
  cached(id: string): InstanceRow | undefined {
    return this.cache.get(id);
  }

  async create(n: NewInstance): Promise<InstanceRow> {
    const now = Date.now();
    const row = blankInstanceRow({
      account_id: n.accountId,
      name: n.name,
      engine: n.engine,
      middleware: n.middleware,
      session_name: n.sessionName ?? null,
      business_device: n.businessDevice ? 1 : 0,
      created_at: now,
      due_at: this.trialDays > 0 ? now + this.trialDays * DAY : null,
      ...(n.settings as Partial<InstanceRow>),
    });
    await this.db.insertInto('instances').values(row).execute();
    this.cache.set(row.id, row);
    return row;
  }

  async update(id: string, patch: InstanceUpdate): Promise<InstanceRow> {
    await this.db.updateTable('instances').set(patch).where('id', '=', id).execute();
    this.cache.delete(id);
    return (await this.get(id))!;
  }

  /** Subscribing makes the instance permanent (no due date) and revives an expired one. */
  subscribe(id: string): Promise<InstanceRow> {
    return this.update(id, { payment_status: 'PAID', due_at: null, canceled_at: null });
  }

  /**
   * Cancelling: a paid instance stays usable for 30 more days; a trial keeps its trial end
   * (cancelling never extends a trial).
   */
  async cancel(id: string, now = Date.now()): Promise<InstanceRow> {
    const row = (await this.get(id))!;
    // Cancelling again keeps the first end date: repeated calls must not extend (or revive) it.
    if (row.payment_status === 'CANCELED') return row;
    const due = row.payment_status === 'TRIAL' && row.due_at !== null ? Math.min(row.due_at, now + CANCEL_GRACE_MS) : now + CANCEL_GRACE_MS;
    return this.update(id, { payment_status: 'CANCELED', canceled_at: now, due_at: due });
  }

  async list(q: ListQuery): Promise<{ total: number; rows: InstanceRow[] }> {
    let base = this.db.selectFrom('instances').where('account_id', '=', q.accountId);
    if (q.middleware) base = base.where('middleware', '=', q.middleware);
    if (q.query) {
      // Case-insensitive substring of the name or the id. LIKE wildcards in the query are
      // escaped, not dropped: "a_b" must find "a_b" and "%" only names with a "%".
      const like = `%${q.query.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      const matches = (column: 'name' | 'id') => sql<SqlBool>`lower(${sql.ref(column)}) like ${like} escape '\\'`;
      base = base.where((eb) => eb.or([matches('name'), matches('id')]));
    }
    const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
    const rows = await base
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize)
      .execute();
    return { total: Number(total), rows };
  }
}

/** A new instance row: fresh id and token, trial, nothing configured; `fields` override. */
export function blankInstanceRow(fields: Partial<InstanceRow> & Pick<InstanceRow, 'account_id' | 'name' | 'engine'>): InstanceRow {
  return {
    id: newInstanceId(),
    token: newInstanceToken(),
    middleware: 'web',
    session_name: null,
    business_device: 0,
    created_at: Date.now(),
    due_at: null,
    payment_status: 'TRIAL',
    canceled_at: null,
    phone: null,
    delivery_url: null,
    received_url: null,
    notify_sent_by_me: 0,
    disconnected_url: null,
    connected_url: null,
    message_status_url: null,
    presence_url: null,
    webhook_secret: null,
    auto_read_message: 0,
    auto_read_status: 0,
    call_reject_auto: 0,
    call_reject_message: null,
    profile_name: null,
    profile_description: null,
    profile_picture: null,
    ...fields,
  };
}

export const isExpired = (row: InstanceRow, now = Date.now()) => row.due_at !== null && row.due_at <= now;

// Accounts (one per customer of a reseller) and their partner tokens. One account is
// bootstrapped on first start; partner tokens are stored only as sha256 hashes.
import type { Kysely } from 'kysely';
import type { AccountRow, Database } from '../store/schema.js';
import { newAccountId, newSecretToken, sha256Hex } from './ids.js';
import { badRequest } from './errors.js';
import { isIP } from 'node:net';

export interface Bootstrap {
  account: AccountRow;
  /** Set only when a partner token was generated now: print it once. */
  generatedPartnerToken: string | null;
}

export class Accounts {
  private readonly cache = new Map<string, AccountRow>();

  constructor(private readonly db: Kysely<Database>) {}

  async bootstrap(opts: { partnerToken: string | null; clientToken: string | null }): Promise<Bootstrap> {
    let account = await this.db.selectFrom('accounts').selectAll().orderBy('created_at').executeTakeFirst();
    if (!account) {
      account = { id: newAccountId(), name: 'default', client_token: null, client_token_enabled: 0, ip_allowlist: '[]', created_at: Date.now() };
      await this.db.insertInto('accounts').values(account).execute();
    }
    let generatedPartnerToken: string | null = null;
    if (opts.partnerToken) {
      const hash = sha256Hex(opts.partnerToken);
      await this.db
        .insertInto('partner_tokens')
        .values({ token_hash: hash, account_id: account.id, label: 'OPENZAP_PARTNER_TOKEN', created_at: Date.now() })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .execute();
    } else {
      const any = await this.db.selectFrom('partner_tokens').select('token_hash').executeTakeFirst();
      if (!any) {
        generatedPartnerToken = newSecretToken();
        await this.db
          .insertInto('partner_tokens')
          .values({ token_hash: sha256Hex(generatedPartnerToken), account_id: account.id, label: 'generated', created_at: Date.now() })
          .execute();
      }
    }
    if (opts.clientToken) {
      await this.db
        .updateTable('accounts')
        .set({ client_token: opts.clientToken, client_token_enabled: 1 })
        .where('id', '=', account.id)
        .execute();
    }
    this.cache.clear();
    return { account: (await this.get(account.id))!, generatedPartnerToken };
  }

  /** Cached row for hot paths; undefined if not loaded yet. */
  cached(id: string): AccountRow | undefined {
    return this.cache.get(id);
  }

  async get(id: string): Promise<AccountRow | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    if (row) this.cache.set(id, row);
    return row;
  }

  async byPartnerToken(token: string): Promise<AccountRow | undefined> {
    const row = await this.db
      .selectFrom('partner_tokens')
      .select('account_id')
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirst();
    return row ? this.get(row.account_id) : undefined;
  }

  /** Partner-side security settings: the Client-Token and the IP allow-list. */
  async updateSecurity(
    id: string,
    patch: { clientToken?: string | null; clientTokenEnabled?: boolean; ipAllowlist?: string[] },
  ): Promise<AccountRow> {
    const current = await this.get(id);
    if (!current) throw badRequest('unknown account');
    const token = patch.clientToken === undefined ? current.client_token : patch.clientToken;
    const enabled = patch.clientTokenEnabled ?? (patch.clientToken === null ? false : current.client_token_enabled === 1);
    if (enabled && !token) throw badRequest('cannot enable the Client-Token check without a token', 'client-token-missing');
    if (token !== null && token.length < 16) throw badRequest('the Client-Token must be at least 16 characters', 'client-token-short');
    const given = patch.ipAllowlist ?? (JSON.parse(current.ip_allowlist) as string[]);
    for (const ip of given) if (!isIP(ip)) throw badRequest(`"${String(ip).slice(0, 60)}" is not an IP address`, 'invalid-ip');
    // Requests are matched by their IPv4 address when they arrive IPv4-mapped (::ffff:a.b.c.d): store entries the same way.
    const ips = [...new Set(given.map((ip) => (/^::ffff:/i.test(ip) && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip)))];
    await this.db
      .updateTable('accounts')
      .set({ client_token: token, client_token_enabled: enabled ? 1 : 0, ip_allowlist: JSON.stringify(ips) })
      .where('id', '=', id)
      .execute();
    this.cache.delete(id);
    return (await this.get(id))!;
  }
}

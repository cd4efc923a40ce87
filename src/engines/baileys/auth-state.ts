// The Baileys auth state (creds + every Signal key type) of one instance, stored in OUR
// database instead of files. Each keys.set — which Baileys calls once per committed key
// transaction — is one database transaction, so a crash never leaves half a ratchet step
// behind (the cause of "Bad MAC" floods). Values are BufferJSON text, sealed with
// AES-256-GCM when OPENZAP_SECRET_KEY is set. Rows carry the instance id: two instances
// never share state.
import type { Kysely } from 'kysely';
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from 'baileys';
import type { Database } from '../../store/schema.js';
import { SecretBox } from './secret-box.js';

type KeyType = keyof SignalDataTypeMap;

/** Rows per statement: well under SQLite's variable limit and Postgres' parameter limit. */
const CHUNK = 200;

const chunks = <T>(items: T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
};

/** Paired once: the phone confirmed this device (QR scan or pairing code), so it can log in again. */
export const hasSession = (creds: AuthenticationCreds): boolean => !!creds.account && !!creds.me?.id;

export class DbAuthState {
  private readonly box: SecretBox;
  /** Writes of creds (and wipes) run one after another, in the order they were asked for. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    readonly instanceId: string,
    secretKey: Buffer | null,
  ) {
    this.box = new SecretBox(secretKey);
  }

  private encode(value: unknown, aad: string): string {
    return this.box.seal(JSON.stringify(value, BufferJSON.replacer), aad);
  }

  private decode<T>(stored: string, aad: string): T {
    return JSON.parse(this.box.open(stored, aad), BufferJSON.reviver) as T;
  }

  private credsAad(): string {
    return `${this.instanceId}\0creds`;
  }

  private keyAad(type: string, id: string): string {
    return `${this.instanceId}\0${type}\0${id}`;
  }

  /** The stored creds, or fresh ones (not saved until Baileys reports a change). */
  async loadCreds(): Promise<AuthenticationCreds> {
    const row = await this.db
      .selectFrom('baileys_creds')
      .select('value')
      .where('instance_id', '=', this.instanceId)
      .executeTakeFirst();
    return row ? this.decode<AuthenticationCreds>(row.value, this.credsAad()) : initAuthCreds();
  }

  /** The full state handed to makeWASocket (the caller wraps `keys` in a cache). */
  async load(): Promise<AuthenticationState> {
    return { creds: await this.loadCreds(), keys: this.keys };
  }

  saveCreds(creds: AuthenticationCreds): Promise<void> {
    const value = this.encode(creds, this.credsAad());
    return this.serial(async () => {
      const now = Date.now();
      await this.db
        .insertInto('baileys_creds')
        .values({ instance_id: this.instanceId, value, updated_at: now })
        .onConflict((oc) => oc.column('instance_id').doUpdateSet({ value, updated_at: now }))
        .execute();
    });
  }

  /** Forget the session: creds and every key, in one transaction. */
  wipe(): Promise<void> {
    return this.serial(() =>
      this.db.transaction().execute(async (tx) => {
        await tx.deleteFrom('baileys_keys').where('instance_id', '=', this.instanceId).execute();
        await tx.deleteFrom('baileys_creds').where('instance_id', '=', this.instanceId).execute();
      }),
    );
  }

  /** Resolves once every write asked for so far has finished. */
  flushed(): Promise<void> {
    return this.serial(async () => undefined);
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  readonly keys: SignalKeyStore = {
    get: async <T extends KeyType>(type: T, ids: string[]) => {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const part of chunks([...new Set(ids)])) {
        const rows = await this.db
          .selectFrom('baileys_keys')
          .select(['key_id', 'value'])
          .where('instance_id', '=', this.instanceId)
          .where('type', '=', type)
          .where('key_id', 'in', part)
          .execute();
        for (const r of rows) {
          let value = this.decode<unknown>(r.value, this.keyAad(type, r.key_id));
          // Protobuf objects come back as plain JSON: revive them as Baileys expects.
          if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
          out[r.key_id] = value as SignalDataTypeMap[T];
        }
      }
      return out;
    },

    set: async (data: SignalDataSet) => {
      const now = Date.now();
      const upserts: { instance_id: string; type: string; key_id: string; value: string; updated_at: number }[] = [];
      const deletes = new Map<string, string[]>();
      for (const type of Object.keys(data) as KeyType[]) {
        const entries = data[type] ?? {};
        for (const id of Object.keys(entries)) {
          const value = entries[id];
          if (value === null || value === undefined) {
            deletes.set(type, [...(deletes.get(type) ?? []), id]);
          } else {
            upserts.push({ instance_id: this.instanceId, type, key_id: id, value: this.encode(value, this.keyAad(type, id)), updated_at: now });
          }
        }
      }
      if (upserts.length === 0 && deletes.size === 0) return;
      await this.db.transaction().execute(async (tx) => {
        for (const [type, ids] of deletes) {
          for (const part of chunks(ids)) {
            await tx
              .deleteFrom('baileys_keys')
              .where('instance_id', '=', this.instanceId)
              .where('type', '=', type)
              .where('key_id', 'in', part)
              .execute();
          }
        }
        for (const part of chunks(upserts)) {
          await tx
            .insertInto('baileys_keys')
            .values(part)
            .onConflict((oc) =>
              oc.columns(['instance_id', 'type', 'key_id']).doUpdateSet((eb) => ({
                value: eb.ref('excluded.value'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
      });
    },

    clear: async () => {
      await this.db.deleteFrom('baileys_keys').where('instance_id', '=', this.instanceId).execute();
    },
  };
}

// The auth state in our database: creds and every Signal key type survive a restart (a new
// store instance reading the same database file), with and without encryption at rest;
// a Baileys key transaction is one database transaction; instances never share state.
import { afterEach, describe, expect, it } from 'vitest';
import { addTransactionCapability, initAuthCreds, makeCacheableSignalKeyStore, proto, type SignalDataSet } from 'baileys';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/db.js';
import { DbAuthState, hasSession } from '../../src/engines/baileys/auth-state.js';
import { parseSecretKey } from '../../src/config.js';
import { tempDir } from '../helpers/server.js';
import { PG_URL, freshDatabase } from '../helpers/postgres.js';
import { silent } from './fake-socket.js';

const A = 'A'.repeat(32);
const B = 'B'.repeat(32);
const KEY = parseSecretKey('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff')!;
const OTHER_KEY = parseSecretKey(Buffer.alloc(32, 7).toString('base64'))!;

/** A database that can be closed and opened again (a restart), on SQLite and, when configured, Postgres. */
interface Place {
  open(): Promise<Store>;
  /** Make the database refuse to insert the key id "boom" (a failure in the middle of a transaction). */
  refuseBoom(store: Store): Promise<void>;
}
const backends: { name: string; place: () => Promise<Place> }[] = [
  {
    name: 'sqlite',
    place: async () => {
      const dir = tempDir('openzap-auth-');
      return {
        open: () => track(openStore({ dataDir: dir, databaseUrl: null })),
        refuseBoom: async (st) => {
          await sql`CREATE TRIGGER refuse_boom BEFORE INSERT ON baileys_keys WHEN NEW.key_id = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END`.execute(st.db);
        },
      };
    },
  },
];
if (PG_URL) {
  backends.push({
    name: 'postgres',
    place: async () => {
      const fresh = await freshDatabase();
      cleanups.push(fresh.drop);
      return {
        open: () => track(openStore({ dataDir: tempDir(), databaseUrl: fresh.url })),
        refuseBoom: async (st) => {
          await sql`CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN IF NEW.key_id = 'boom' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(st.db);
          await sql`CREATE TRIGGER refuse_boom BEFORE INSERT ON baileys_keys FOR EACH ROW EXECUTE FUNCTION refuse_boom()`.execute(st.db);
        },
      };
    },
  });
}

const stores: Store[] = [];
const cleanups: (() => Promise<void>)[] = [];
async function track(p: Promise<Store>): Promise<Store> {
  const s = await p;
  stores.push(s);
  return s;
}
async function open(dir: string): Promise<Store> {
  return track(openStore({ dataDir: dir, databaseUrl: null }));
}
afterEach(async () => {
  while (stores.length) await stores.pop()!.close();
  while (cleanups.length) await cleanups.pop()!();
});

/** One value of every key type Baileys 7 stores. */
function everyKeyType(): SignalDataSet {
  return {
    'pre-key': { '1': { public: Buffer.from('pub-1'), private: Buffer.from('priv-1') } },
    session: { '5511999999999.0': Buffer.from('session-bytes') },
    'sender-key': { '120363000000000000@g.us::5511999999999::0': Buffer.from('sender-key-bytes') },
    'sender-key-memory': { '120363000000000000@g.us': { '5511999999999:0@s.whatsapp.net': true } },
    'app-state-sync-key': {
      AAAAAQ: proto.Message.AppStateSyncKeyData.fromObject({ keyData: Buffer.from('app-state-key'), timestamp: 1700000000 }),
    },
    'app-state-sync-version': { regular: { version: 3, hash: Buffer.alloc(128, 1), indexValueMap: { abc: { valueMac: Buffer.from('mac') } } } },
    'lid-mapping': { '5511999999999': '123456789012345', '123456789012345_reverse': '5511999999999' },
    'device-list': { '5511999999999': ['0', '7'] },
    tctoken: { '5511999999999@s.whatsapp.net': { token: Buffer.from('tc-token'), timestamp: '1700000000' } },
    'identity-key': { '5511999999999.0': Buffer.from('identity-key') },
  };
}

async function readAll(auth: DbAuthState, data: SignalDataSet) {
  const out: Record<string, unknown> = {};
  for (const type of Object.keys(data) as (keyof SignalDataSet)[]) {
    out[type] = await auth.keys.get(type, Object.keys(data[type]!));
  }
  return out;
}

const cases = backends.flatMap((b) => [
  { name: `${b.name}, in clear`, place: b.place, key: null },
  { name: `${b.name}, encrypted (AES-256-GCM)`, place: b.place, key: KEY },
]);

describe.each(cases)('auth state ($name)', ({ place, key }) => {
  it('round-trips creds and every key type across a restart', async () => {
    const where = await place();
    let store = await where.open();
    const auth = new DbAuthState(store.db, A, key);
    const creds = await auth.loadCreds();
    expect(creds.registered).toBe(false);
    creds.me = { id: '5511999999999:7@s.whatsapp.net', name: 'Me', lid: '123456789012345:7@lid' };
    creds.account = proto.ADVSignedDeviceIdentity.fromObject({ details: Buffer.from('details'), accountSignature: Buffer.from('sig') });
    creds.platform = 'smba';
    await auth.saveCreds(creds);
    const data = everyKeyType();
    await auth.keys.set(data);

    // Restart: close the database, open it again, new store instance.
    await stores.pop()!.close();
    store = await where.open();
    const again = new DbAuthState(store.db, A, key);
    const back = await again.loadCreds();
    expect(back.me).toEqual(creds.me);
    expect(back.platform).toBe('smba');
    expect(Buffer.isBuffer(back.noiseKey.private)).toBe(true);
    expect(Buffer.from(back.noiseKey.private).equals(Buffer.from(creds.noiseKey.private))).toBe(true);
    expect(Buffer.from(back.signedPreKey.signature).equals(Buffer.from(creds.signedPreKey.signature))).toBe(true);
    expect(back.advSecretKey).toBe(creds.advSecretKey);
    expect(hasSession(back)).toBe(true);

    const read = await readAll(again, data);
    for (const type of Object.keys(data)) expect(Object.keys(read[type] as object).sort()).toEqual(Object.keys(data[type as keyof SignalDataSet]!).sort());
    const appKey = (read['app-state-sync-key'] as Record<string, unknown>).AAAAAQ;
    expect(appKey).toBeInstanceOf(proto.Message.AppStateSyncKeyData); // revived as Baileys expects
    expect(Buffer.from((appKey as proto.Message.AppStateSyncKeyData).keyData!).toString()).toBe('app-state-key');
    expect((read.session as Record<string, Buffer>)['5511999999999.0'].toString()).toBe('session-bytes');
    expect(read['lid-mapping']).toEqual({ '5511999999999': '123456789012345', '123456789012345_reverse': '5511999999999' });
    expect(read['device-list']).toEqual({ '5511999999999': ['0', '7'] });
    expect(read['sender-key-memory']).toEqual({ '120363000000000000@g.us': { '5511999999999:0@s.whatsapp.net': true } });
    const pre = (read['pre-key'] as Record<string, { public: Buffer }>)['1'];
    expect(pre.public.toString()).toBe('pub-1');
    expect(await again.keys.get('session', ['missing'])).toEqual({}); // missing ids are omitted

    // null deletes
    await again.keys.set({ session: { '5511999999999.0': null } });
    expect(await again.keys.get('session', ['5511999999999.0'])).toEqual({});

    const raw = await store.db.selectFrom('baileys_keys').select('value').execute();
    const credsRaw = await store.db.selectFrom('baileys_creds').select('value').executeTakeFirstOrThrow();
    if (key) {
      for (const r of [...raw, credsRaw]) expect(r.value).toMatch(/^enc1:/);
      expect(credsRaw.value).not.toContain('smba');
      expect(raw.map((r) => r.value).join()).not.toContain(Buffer.from('tc-token').toString('base64'));
    } else {
      expect(credsRaw.value).toContain('"platform":"smba"');
    }
  });

  it('a Baileys key transaction is written in one database transaction: all or nothing', async () => {
    const where = await place();
    const store = await where.open();
    const auth = new DbAuthState(store.db, A, key);
    await where.refuseBoom(store); // the database refuses one row in the middle of the commit
    const keys = addTransactionCapability(makeCacheableSignalKeyStore(auth.keys, silent), silent, { maxCommitRetries: 1, delayBetweenTriesMs: 0 });

    await keys.transaction(async () => {
      await keys.set({ session: { 'a.0': Buffer.from('a') } });
      await keys.set({ 'pre-key': { '10': { public: Buffer.from('p'), private: Buffer.from('q') } }, 'identity-key': { 'a.0': Buffer.from('id') } });
      expect(await auth.keys.get('session', ['a.0'])).toEqual({}); // nothing reaches the database before the commit
    }, 'tx-1');
    expect(Object.keys(await auth.keys.get('session', ['a.0']))).toEqual(['a.0']);
    expect(Object.keys(await auth.keys.get('pre-key', ['10']))).toEqual(['10']);

    await expect(
      keys.transaction(async () => {
        await keys.set({ session: { 'b.0': Buffer.from('b') } });
        await keys.set({ 'sender-key': { boom: Buffer.from('x') }, 'identity-key': { 'b.0': Buffer.from('id') } });
      }, 'tx-2'),
    ).rejects.toThrow(/refused/);
    // The refused commit left nothing behind.
    expect(await auth.keys.get('session', ['b.0'])).toEqual({});
    expect(await auth.keys.get('identity-key', ['b.0'])).toEqual({});
  });

  it('two instances never see each other’s state', async () => {
    const store = await (await place()).open();
    const a = new DbAuthState(store.db, A, key);
    const b = new DbAuthState(store.db, B, key);
    await a.saveCreds(initAuthCreds());
    await a.keys.set({ session: { 'x.0': Buffer.from('a-session') } });
    expect(await b.keys.get('session', ['x.0'])).toEqual({});
    const bCreds = await b.loadCreds();
    expect(bCreds.advSecretKey).not.toBe((await a.loadCreds()).advSecretKey); // fresh creds for B
    await b.wipe();
    expect(Object.keys(await a.keys.get('session', ['x.0']))).toEqual(['x.0']);
  });
});

describe('encryption at rest', () => {
  it('refuses to read a sealed session without the key or with another key, with a clear message', async () => {
    const store = await open(tempDir('openzap-auth-'));
    await new DbAuthState(store.db, A, KEY).saveCreds(initAuthCreds());
    await expect(new DbAuthState(store.db, A, null).loadCreds()).rejects.toThrow(/encrypted and OPENZAP_SECRET_KEY is not set/);
    await expect(new DbAuthState(store.db, A, OTHER_KEY).loadCreds()).rejects.toThrow(/cannot be decrypted/);
  });

  it('a sealed value moved to another row does not open (row identity is authenticated)', async () => {
    const store = await open(tempDir('openzap-auth-'));
    await new DbAuthState(store.db, A, KEY).saveCreds(initAuthCreds());
    const row = await store.db.selectFrom('baileys_creds').selectAll().executeTakeFirstOrThrow();
    await store.db.insertInto('baileys_creds').values({ ...row, instance_id: B }).execute();
    await expect(new DbAuthState(store.db, B, KEY).loadCreds()).rejects.toThrow(/cannot be decrypted/);
  });

  it('a session stored in clear stays readable once a key is configured, and is sealed on the next write', async () => {
    const store = await open(tempDir('openzap-auth-'));
    const creds = initAuthCreds();
    await new DbAuthState(store.db, A, null).saveCreds(creds);
    const sealed = new DbAuthState(store.db, A, KEY);
    const back = await sealed.loadCreds();
    expect(back.advSecretKey).toBe(creds.advSecretKey);
    await sealed.saveCreds(back);
    expect((await store.db.selectFrom('baileys_creds').select('value').executeTakeFirstOrThrow()).value).toMatch(/^enc1:/);
  });

  it('OPENZAP_SECRET_KEY accepts 64 hex characters or base64 of 32 bytes, nothing else', () => {
    expect(parseSecretKey(undefined)).toBeNull();
    expect(parseSecretKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseSecretKey(Buffer.alloc(32, 1).toString('base64'))).toHaveLength(32);
    expect(parseSecretKey(Buffer.alloc(32, 1).toString('base64url'))).toHaveLength(32);
    expect(() => parseSecretKey('short')).toThrow(/OPENZAP_SECRET_KEY/);
    expect(() => parseSecretKey(Buffer.alloc(16, 1).toString('base64'))).toThrow(/32-byte/);
  });
});

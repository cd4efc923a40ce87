// The sandbox network's reads of sandbox_messages find their rows through an index, never by
// reading the whole table (which grows by a row per message): the catch-up of an instance
// that comes online (the partial index of undelivered rows), the receipts simulated
// contacts still owe a sender after a restart, and a status post's audience (the
// (from_phone, to_phone) index). Every statement the network runs is logged and its
// SQLite plan checked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import type { Database } from '../../src/store/schema.js';
import { SandboxNetwork, type SandboxPeer } from '../../src/engines/sandbox/network.js';
import { STATUS_JID, type NetworkMessage } from '../../src/engines/sandbox/wire.js';
import { newMessageId } from '../../src/domain/ids.js';
import { waitFor } from '../helpers/http.js';

const A = '5500200000001';
const B = '5500200000002';
const CONTACT = '5511988887777';

function peerOf(phone: string, received: string[]): SandboxPeer {
  return {
    phone,
    receive: async (msg) => void received.push(msg.id),
    receipt: async () => undefined,
    revoked: async () => undefined,
    presence: () => undefined,
  };
}

const text = (from: string, to: string): NetworkMessage => ({ id: newMessageId(), from, to, content: { type: 'text', text: 'hi' }, timestamp: Date.now() }) as NetworkMessage;

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('sandbox network query plans (SQLite)', () => {
  it('catch-up, owed receipts and status audiences search an index of sandbox_messages', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openzap-plans-'));
    const store = await openStore({ dataDir, databaseUrl: null }); // migrates
    await store.close();
    const file = new SQLite(path.join(dataDir, 'openzap.db'));
    const queries: { sql: string; parameters: readonly unknown[] }[] = [];
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: file }),
      log: (e) => {
        if (e.level === 'query') queries.push(e.query);
      },
    });
    const network = new SandboxNetwork(db, 5, 'sqlite');
    cleanup = async () => {
      network.close();
      await db.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };

    expect(await network.pairDevice('A'.repeat(32), A)).toBe(true);
    expect(await network.pairDevice('B'.repeat(32), B)).toBe(true);
    const gotA: string[] = [];
    const gotB: string[] = [];
    await network.attach(peerOf(A, gotA));
    await network.resume();
    // B is paired but away: what A sends it waits for its catch-up. A's message to a
    // simulated contact is acknowledged by the contact.
    const toB = [text(A, B), text(A, B)];
    for (const m of toB) {
      expect(await network.accept(m)).toEqual({ duplicate: false, delivered: false });
      await network.route(m);
    }
    const toContact = text(A, CONTACT);
    await network.accept(toContact);
    await network.route(toContact);
    await network.attach(peerOf(B, gotB)); // catch-up
    await waitFor(() => gotB.length === 2);
    expect(gotB).toEqual(toB.map((m) => m.id));
    await network.contacts.resumeFor([A]); // receipts owed to A
    await network.accept({ ...text(A, STATUS_JID), content: { type: 'text', text: 'status' } } as NetworkMessage); // audience: B

    const reads = queries.filter((q) => /from "sandbox_messages"/.test(q.sql) && /^\s*select/i.test(q.sql));
    const kinds = { catchUp: /"delivered" = 0/, owed: /"from_phone" in/, audience: /exists/ };
    for (const [kind, re] of Object.entries(kinds)) expect(reads.some((q) => re.test(q.sql)), kind).toBe(true);
    for (const q of reads) {
      const plan = file
        .prepare(`explain query plan ${q.sql}`)
        .all(...(q.parameters as unknown[]))
        .map((r) => (r as { detail: string }).detail);
      expect(
        plan.filter((d) => /^SCAN (sandbox_messages|m)\b/.test(d)),
        `${q.sql}\n${plan.join('\n')}`,
      ).toEqual([]);
    }
  });
});

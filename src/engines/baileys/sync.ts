// Baileys events that feed the local store (no port events): history sync, chats, contacts,
// groups, LID ↔ phone pairs, and the chats whose presence we follow. Handlers run on the
// event mapper's chain, so a contact's name is stored before a message right after it is mapped.
import { toNumber, type BaileysEventEmitter, type Contact, type WAMessage } from 'baileys';
import type { BaileysStore } from './store.js';
import type { ChatStore } from './store-chats.js';
import type { ContactStore } from './store-contacts.js';
import type { GroupStore } from './store-groups.js';

export interface LocalStores {
  store: BaileysStore;
  chats: ChatStore;
  contacts: ContactStore;
  groups: GroupStore;
  /** How long history messages are worth keeping (the recent-message retention), in ms. */
  retentionMs: number;
}

export type Run = (what: string, work: () => Promise<void>) => void;

export function contactPairs(c: Partial<Contact>): { lid: string; pn: string }[] {
  const out: { lid: string; pn: string }[] = [];
  if (c.id?.endsWith('@lid') && c.phoneNumber) out.push({ lid: c.id, pn: c.phoneNumber });
  if (c.id?.endsWith('@s.whatsapp.net') && c.lid) out.push({ lid: c.lid, pn: c.id });
  return out;
}

/** History messages younger than the retention window join the recent-message store (no events: they are history). */
export async function saveHistory(store: BaileysStore, messages: WAMessage[], cutoffMs: number): Promise<number> {
  let kept = 0;
  for (const m of messages) {
    if (!m.key?.id || !m.key.remoteJid || !m.message) continue;
    const at = toNumber(m.messageTimestamp ?? 0) * 1000;
    if (!at || at < cutoffMs) continue;
    await store.saveMessage(m, false);
    kept += 1;
  }
  return kept;
}

export function attachStoreSync(ev: BaileysEventEmitter, run: Run, s: LocalStores): void {
  const contacts = async (cs: Partial<Contact>[]) => {
    await s.store.rememberLids(cs.flatMap(contactPairs));
    await s.contacts.save(cs);
  };
  ev.on('messaging-history.set', (h) =>
    run('messaging-history.set', async () => {
      await s.store.rememberLids([...(h.lidPnMappings ?? []), ...h.contacts.flatMap(contactPairs)]);
      await s.contacts.save(h.contacts);
      await s.chats.upsert(h.chats);
      await saveHistory(s.store, h.messages, Date.now() - s.retentionMs);
    }),
  );
  ev.on('contacts.upsert', (cs) => run('contacts.upsert', () => contacts(cs)));
  ev.on('contacts.update', (cs) => run('contacts.update', () => contacts(cs)));
  ev.on('chats.upsert', (cs) => run('chats.upsert', () => s.chats.upsert(cs)));
  ev.on('chats.update', (cs) => run('chats.update', () => s.chats.update(cs)));
  ev.on('chats.delete', (ids) => run('chats.delete', () => s.chats.delete(ids)));
  ev.on('groups.upsert', (gs) => run('groups.upsert', () => s.groups.upsert(gs)));
  ev.on('groups.update', (gs) => run('groups.update', () => s.groups.update(gs)));
  ev.on('group-participants.update', (u) => run('group-participants.update', () => s.groups.participants(u)));
}

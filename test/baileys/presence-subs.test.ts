// Presence subscriptions renewed after a reconnect: which chats, how many, how fast, and
// that a reconnect loop cancels the renewal under way instead of piling up. Fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/store/db.js';
import { connected, makeEngine, settle, testStore, type EngineHarness } from './fake-socket.js';

const jid = (n: number) => `55119000${String(n).padStart(5, '0')}@s.whatsapp.net`;
const GROUP = '120363025246125486@g.us';

let store: Store;
let h: EngineHarness;

/** Drop the connection (408) and let the backoff reconnect; returns the new socket, opened. */
async function reconnect() {
  const before = h.sockets.sockets.length;
  h.sockets.last.emitClose(408);
  await settle();
  vi.advanceTimersByTime(2_000);
  await settle();
  expect(h.sockets.sockets.length).toBe(before + 1);
  h.sockets.last.open();
  await settle();
  return h.sockets.last;
}

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  store = await testStore();
  h = makeEngine(store.db, { presence: { max: 3, gapMs: 100 } });
});
afterEach(async () => {
  await h.engine.close();
  vi.useRealTimers();
  await store.close();
});

describe('presence subscriptions', () => {
  it('subscribes again, after a reconnect, to chats we subscribed to and chats that sent presence; paced, most recent first, bounded', async () => {
    const first = await connected(h);
    await h.engine.subscribePresence(jid(1));
    expect(first.presenceSubscribe.mock.calls).toEqual([[jid(1)]]);
    vi.advanceTimersByTime(1_000);
    first.ev.emit('presence.update', { id: jid(2), presences: { [jid(2)]: { lastKnownPresence: 'composing' } } });
    await h.engine.idle();
    vi.advanceTimersByTime(1_000);
    first.ev.emit('presence.update', { id: GROUP, presences: { [jid(3)]: { lastKnownPresence: 'available' } } });
    await h.engine.idle();
    vi.advanceTimersByTime(1_000);
    await h.engine.subscribePresence(jid(4));
    vi.advanceTimersByTime(1_000);
    await h.engine.subscribePresence(jid(1)); // active again: most recent now

    const next = await reconnect();
    // One at once, then one per gap: no burst.
    expect(next.presenceSubscribe.mock.calls).toEqual([[jid(1)]]);
    vi.advanceTimersByTime(99);
    expect(next.presenceSubscribe).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(next.presenceSubscribe).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(10_000);
    // At most 3 (max), the most recently active: jid(1), jid(4), the group.
    expect(next.presenceSubscribe.mock.calls).toEqual([[jid(1)], [jid(4)], [GROUP]]);
  });

  it('a reconnect loop cancels the renewal under way: every socket gets at most its own paced run', async () => {
    const first = await connected(h);
    for (let i = 1; i <= 3; i++) {
      await h.engine.subscribePresence(jid(i));
      vi.advanceTimersByTime(10);
    }
    expect(first.presenceSubscribe).toHaveBeenCalledTimes(3);
    const second = await reconnect();
    expect(second.presenceSubscribe).toHaveBeenCalledTimes(1);
    // Dropped again before its run finished: the rest of that run never happens.
    const third = await reconnect();
    vi.advanceTimersByTime(10_000);
    expect(second.presenceSubscribe.mock.calls).toEqual([[jid(3)]]);
    expect(third.presenceSubscribe.mock.calls).toEqual([[jid(3)], [jid(2)], [jid(1)]]);
  });

  it('chats inactive for more than 30 days are not renewed and are forgotten', async () => {
    const first = await connected(h);
    await h.engine.subscribePresence(jid(1));
    vi.advanceTimersByTime(31 * 86_400_000);
    await h.engine.subscribePresence(jid(2));
    expect(first.presenceSubscribe).toHaveBeenCalledTimes(2);
    const next = await reconnect();
    vi.advanceTimersByTime(10_000);
    expect(next.presenceSubscribe.mock.calls).toEqual([[jid(2)]]);
    expect((await store.db.selectFrom('baileys_presence_subs').select('jid').execute()).map((r) => r.jid)).toEqual([jid(2)]);
  });

  it('nothing to renew on a fresh instance: no presenceSubscribe at all', async () => {
    const sock = await connected(h);
    vi.advanceTimersByTime(10_000);
    expect(sock.presenceSubscribe).not.toHaveBeenCalled();
  });
});

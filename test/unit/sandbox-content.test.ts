// The sandbox network carries every kind of message between sandbox instances with the
// receipts WhatsApp gives: two (or more) SandboxEngines on one SandboxNetwork over a real
// SQLite store, each with a recorder standing in for the webhook outbox.
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS_JID, type NetworkMessage } from '../../src/engines/sandbox/wire.js';
import type { MediaRef, MessageContent, MessageKey } from '../../src/engines/engine.js';
import type { ContentType } from '../../src/engines/content.js';
import { waitFor } from '../helpers/http.js';
import { SandboxWorld, type Peer } from '../helpers/sandbox-world.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const sandbox = new SandboxWorld();
afterEach(sandbox.close);
const { world, peer, stop, row } = sandbox;

const media = (id: string, mimeType: string, fileName?: string): MediaRef => ({ id, mimeType, size: 2048, ...(fileName ? { fileName } : {}) });

/** One message of every kind, as instance A builds it for B (keys point at A's chat with B). */
function everyKind(bJid: string, theirs: string, mine: string): { [K in ContentType]: Extract<MessageContent, { type: K }> } {
  const theirKey: MessageKey = { id: theirs, chatJid: bJid, fromMe: false };
  const myKey: MessageKey = { id: mine, chatJid: bJid, fromMe: true };
  const img = media('MEDIA-IMG', 'image/jpeg');
  const order = { currency: 'BRL', products: [{ productId: 'p1', name: 'Café', value: 1000, quantity: 2 }], discount: 100, shipping: 500 };
  return {
    text: { type: 'text', text: 'olá *mundo*', mentions: ['5511999990001@s.whatsapp.net'] },
    link: { type: 'link', text: 'see https://example.com', url: 'https://example.com', title: 'Example', description: 'An example', image: img, large: true },
    image: { type: 'image', media: img, caption: 'a photo', width: 640, height: 480 },
    sticker: { type: 'sticker', media: media('MEDIA-STK', 'image/webp'), author: 'me' },
    video: { type: 'video', media: media('MEDIA-VID', 'video/mp4'), caption: 'gif', gif: true, seconds: 3 },
    ptv: { type: 'ptv', media: media('MEDIA-PTV', 'video/mp4'), seconds: 7 },
    audio: { type: 'audio', media: media('MEDIA-AUD', 'audio/ogg; codecs=opus'), ptt: true, seconds: 4, waveform: true },
    document: { type: 'document', media: media('MEDIA-DOC', 'application/pdf', 'report.pdf'), fileName: 'report.pdf', caption: 'the report', pageCount: 3 },
    location: { type: 'location', latitude: -23.55, longitude: -46.63, name: 'Sé', address: 'Praça da Sé', url: 'https://maps.example/se' },
    contacts: { type: 'contacts', contacts: [{ name: 'Ana', phones: ['5511999990002'] }, { name: 'Bia', phones: ['5511999990003', '5511999990004'], businessDescription: 'shop' }] },
    reaction: { type: 'reaction', target: theirKey, emoji: '❤️' },
    buttons: { type: 'buttons', text: 'choose', title: 'T', footer: 'F', buttons: [{ id: 'b1', kind: 'REPLY', label: 'Yes' }, { id: 'b2', kind: 'URL', label: 'Site', url: 'https://example.com' }], image: img },
    list: { type: 'list', text: 'menu', title: 'Menu', buttonLabel: 'Open', sections: [{ title: 'Food', rows: [{ id: 'r1', title: 'Pizza', description: 'big' }] }] },
    otp: { type: 'otp', text: 'your code', code: '123456', buttonText: 'Copy' },
    pix: { type: 'pix', key: 'a@b.com', keyType: 'EMAIL', merchantName: 'Shop', currency: 'BRL', referenceId: 'ref-1' },
    carousel: { type: 'carousel', text: 'cards', cards: [{ text: 'one', image: img, buttons: [{ id: 'c1', kind: 'REPLY', label: 'Pick' }] }] },
    poll: { type: 'poll', question: 'Best?', options: ['a', 'b', 'c'], maxOptions: 1 },
    pollVote: { type: 'pollVote', poll: theirKey, options: ['b'] },
    product: { type: 'product', catalogJid: bJid, productId: 'prod-1', title: 'Mug', price: 2500, currency: 'BRL', image: img },
    catalog: { type: 'catalog', catalogJid: bJid, text: 'our catalog', translation: 'PT' },
    order: { type: 'order', text: 'your order', referenceId: 'o-1', orderRequestId: 'req-1', order, payment: { pix: { key: 'a@b.com', keyType: 'EMAIL', name: 'Shop' } }, subTotal: 2000, total: 2400 },
    orderUpdate: { type: 'orderUpdate', update: 'status', orderMessageId: mine, referenceId: 'o-1', orderRequestId: 'req-1', orderStatus: 'shipped', paymentStatus: 'paid', order, subTotal: 2000, total: 2400 },
    pin: { type: 'pin', target: myKey, action: 'pin', durationSecs: 86400 },
    newsletterAdminInvite: { type: 'newsletterAdminInvite', newsletterJid: '120363000000000001@newsletter', newsletterName: 'News', text: 'be admin', expiration: 1_900_000_000 },
    event: { type: 'event', name: 'Party', description: 'fun', startTime: 1_900_000_000, location: { name: 'Home' }, callLinkType: 'video', canceled: false },
    eventResponse: { type: 'eventResponse', event: theirKey, response: 'GOING' },
    buttonReply: { type: 'buttonReply', buttonId: 'b1', text: 'Yes', quotedId: theirs },
    listReply: { type: 'listReply', rowId: 'r1', title: 'Pizza', text: 'Pizza', quotedId: theirs },
    cart: {
      type: 'cart', orderId: '422508169684569', token: 'AR5d4yUr', itemCount: 1, message: 'my cart', sellerJid: bJid, currency: 'BRL', total: 20, subTotal: 20,
      products: [{ quantity: 1, name: 'Mug', productId: 'prod-1', retailerId: 'r-1', price: 20, currency: 'BRL' }],
    },
    paymentRequest: {
      type: 'paymentRequest', value: 10, currency: 'BRL', requestFrom: bJid, expiration: 1_900_000_000_000,
      payment: { receiverJid: bJid, value: 10, currency: 'BRL', status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' },
    },
    paymentSent: { type: 'paymentSent', requestId: theirs, payment: { receiverJid: bJid, value: 10, currency: 'BRL', status: 'COMPLETE', transactionStatus: 'SUCCESS' } },
    paymentDeclined: { type: 'paymentDeclined', request: theirKey, value: 10, currency: 'BRL' },
  };
}

describe('sandbox network: content', () => {
  it('carries every kind of message intact, with SENT, RECEIVED and READ for each', async () => {
    const { db } = await world();
    const a = await peer('A', '5500100000001');
    const b = await peer('B', '5500100000002');
    const theirs = await b.send(a.jid, { type: 'text', text: 'hi A' });
    const mine = await a.send(b.jid, { type: 'text', text: 'hi B' });

    const kinds = everyKind(b.jid, theirs, mine);
    expect(Object.keys(kinds)).toHaveLength(32);
    const sent = new Map<string, MessageContent>();
    for (const content of Object.values(kinds)) sent.set(await a.send(b.jid, content), content);

    for (const [id, content] of sent) {
      const got = b.rec.message(id);
      expect(got, content.type).toBeDefined();
      expect(got).toMatchObject({ chatJid: a.jid, senderJid: a.jid, fromMe: false, isEdit: false });
      expect(got!.broadcast).toBeUndefined();
      // Keys are turned to the recipient's point of view (B's own message, in B's chat with A).
      if (content.type === 'reaction' || content.type === 'pollVote' || content.type === 'eventResponse' || content.type === 'paymentDeclined') {
        const key = { id: theirs, chatJid: a.jid, fromMe: true };
        const seen = { reaction: { target: key }, pollVote: { poll: key }, eventResponse: { event: key }, paymentDeclined: { request: key } }[content.type];
        expect(got!.content).toEqual({ ...content, ...seen });
      } else if (content.type === 'pin') {
        expect(got!.content).toEqual({ ...content, target: { id: mine, chatJid: a.jid, fromMe: false } });
      } else {
        expect(got!.content).toEqual(content);
      }
      expect(a.rec.statusesOf(id)).toEqual(['SENT', 'RECEIVED']);
    }
    expect(b.rec.messages).toHaveLength(33); // the 32 kinds and "hi B"
    const receipt = a.rec.statuses.find((s) => s.status === 'RECEIVED');
    expect(receipt).toMatchObject({ chatJid: b.jid, device: 0 });
    expect(receipt!.participant).toBeUndefined();

    await b.engine.messages.read(a.jid, [...sent.keys()]);
    for (const id of sent.keys()) expect(a.rec.statusesOf(id)).toEqual(['SENT', 'RECEIVED', 'READ']);
    const rows = await db.selectFrom('sandbox_messages').select(['status', 'delivered']).where('id', 'in', [...sent.keys()]).execute();
    expect(rows.every((r) => r.status === 'read' && r.delivered === 1)).toBe(true);
  });

  it('carries forwarded, view-once, status-reply and edit flags', async () => {
    await world();
    const a = await peer('A', '5500100000011');
    const b = await peer('B', '5500100000012');
    const img = media('MEDIA-1', 'image/png');
    const plain = await a.send(b.jid, { type: 'image', media: img });
    const once = await a.send(b.jid, { type: 'image', media: img, viewOnce: true });
    const onceVideo = await a.send(b.jid, { type: 'video', media: media('MEDIA-2', 'video/mp4'), viewOnce: true });
    const onceAudio = await a.send(b.jid, { type: 'audio', media: media('MEDIA-3', 'audio/ogg'), ptt: true, viewOnce: true });
    const fwd = await a.send(b.jid, { type: 'text', text: 'fwd' }, { forwarded: true });
    const reply = await a.send(b.jid, { type: 'text', text: 'nice status' }, { quotedId: 'STATUS-1', quotedIsStatus: true });
    const quote = await a.send(b.jid, { type: 'text', text: 'plain reply' }, { quotedId: plain });
    const edit = await a.send(b.jid, { type: 'text', text: 'fwd (edited)' }, { editId: fwd });

    expect(b.rec.message(plain)).toMatchObject({ content: { type: 'image' } });
    expect(b.rec.message(plain)!.viewOnce).toBeUndefined();
    for (const id of [once, onceVideo, onceAudio]) expect(b.rec.message(id)!.viewOnce).toBe(true);
    const forwarded = b.rec.messages.filter((m) => m.forwarded);
    expect(forwarded.map((m) => m.id)).toEqual([fwd]);
    expect(b.rec.message(reply)).toMatchObject({ isStatusReply: true, quotedId: 'STATUS-1' });
    expect(b.rec.message(quote)).toMatchObject({ quotedId: plain });
    expect(b.rec.message(quote)!.isStatusReply).toBeUndefined();
    // An edit is reported under the id of the message it replaces.
    expect(b.rec.message(edit)).toBeUndefined();
    expect(b.rec.messages.filter((m) => m.id === fwd).map((m) => [m.isEdit, m.content])).toEqual([
      [false, { type: 'text', text: 'fwd' }],
      [true, { type: 'text', text: 'fwd (edited)' }],
    ]);
    expect(a.rec.statusesOf(edit)).toEqual(['SENT', 'RECEIVED']);
  });

  it('answers unsupportedReason for chats the sandbox does not simulate, and send refuses them with 501', async () => {
    const { db } = await world();
    const a = await peer('A', '5500100000021');
    for (const content of Object.values(everyKind('5500100000022@s.whatsapp.net', 'X', 'Y'))) {
      expect(a.engine.messages.unsupportedReason(content, '5500100000022@s.whatsapp.net')).toBeNull();
    }
    const text: MessageContent = { type: 'text', text: 'x' };
    expect(a.engine.messages.unsupportedReason(text, '120363000000000001@g.us')).toBeNull(); // a simulated group (sandbox-groups.test.ts)
    expect(a.engine.messages.unsupportedReason(text, 'not-a-group@g.us')).toMatch(/not a group id/);
    expect(a.engine.messages.unsupportedReason(text, '120363000000000001@newsletter')).toMatch(/channels/);
    expect(a.engine.messages.unsupportedReason(text, '123456789@lid')).toMatch(/LID/);
    expect(a.engine.messages.unsupportedReason(text, STATUS_JID)).toBeNull();
    expect(a.engine.messages.unsupportedReason({ type: 'image', media: media('M', 'image/png') }, STATUS_JID)).toBeNull();
    expect(a.engine.messages.unsupportedReason({ type: 'sticker', media: media('M', 'image/webp') }, STATUS_JID)).toMatch(/status/);
    await expect(a.send('120363000000000001@newsletter', text)).rejects.toMatchObject({ statusCode: 501 });
    await expect(a.send(STATUS_JID, { type: 'poll', question: 'q', options: ['a', 'b'], maxOptions: 1 })).rejects.toMatchObject({ statusCode: 501 });
    await expect(a.engine.messages.read('120363000000000001@newsletter', ['X'])).rejects.toMatchObject({ statusCode: 501 });
    expect(await db.selectFrom('sandbox_messages').select('id').execute()).toEqual([]);
    expect(a.rec.statuses).toEqual([]);
  });
});

describe('sandbox network: played', () => {
  it('another instance plays voice notes and round videos: PLAYED once, only for those', async () => {
    await world();
    const a = await peer('A', '5500100000031');
    const b = await peer('B', '5500100000032');
    const voice = await a.send(b.jid, { type: 'audio', media: media('M1', 'audio/ogg'), ptt: true });
    const ptv = await a.send(b.jid, { type: 'ptv', media: media('M2', 'video/mp4') });
    const song = await a.send(b.jid, { type: 'audio', media: media('M3', 'audio/mpeg'), ptt: false });
    const text = await a.send(b.jid, { type: 'text', text: 'not playable' });
    const all = [voice, ptv, song, text];
    await b.engine.messages.read(a.jid, all);
    await b.engine.messages.played(a.jid, all);
    await b.engine.messages.played(a.jid, all); // again: nothing new
    await b.engine.messages.read(a.jid, [voice]); // a later read does not move it back

    expect(a.rec.statusesOf(voice).slice(0, 4)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
    expect(a.rec.statusesOf(voice).filter((s) => s === 'PLAYED')).toHaveLength(1);
    expect(a.rec.statusesOf(ptv)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
    expect(a.rec.statusesOf(song)).toEqual(['SENT', 'RECEIVED', 'READ']);
    expect(a.rec.statusesOf(text)).toEqual(['SENT', 'RECEIVED', 'READ']);
    expect(a.rec.statuses.find((s) => s.status === 'PLAYED')).toMatchObject({ chatJid: b.jid, ids: [voice, ptv] });
    expect((await row(voice))?.status).toBe('played');
    expect((await row(ptv))?.status).toBe('played');
    expect((await row(song))?.status).toBe('read');
    // Only the recipient can play a message: A "playing" its own voice note sends nothing.
    await a.engine.messages.played(b.jid, [voice]);
    expect(b.rec.statuses).toEqual(expect.not.arrayContaining([expect.objectContaining({ status: 'PLAYED' })]));
  });

  it('a simulated contact reads, then plays voice notes and round videos', async () => {
    const { db } = await world(10);
    const a = await peer('A', '5500100000041');
    const contact = '5511987650041@s.whatsapp.net';
    const voice = await a.send(contact, { type: 'audio', media: media('M1', 'audio/ogg'), ptt: true });
    const ptv = await a.send(contact, { type: 'ptv', media: media('M2', 'video/mp4') });
    const song = await a.send(contact, { type: 'audio', media: media('M3', 'audio/mpeg'), ptt: false });
    const text = await a.send(contact, { type: 'text', text: 'hello' });
    await waitFor(() => a.rec.statusesOf(voice).includes('PLAYED') && a.rec.statusesOf(ptv).includes('PLAYED') && a.rec.statusesOf(text).includes('READ'), 5000, 'PLAYED');
    await sleep(100); // nothing else is due
    expect(a.rec.statusesOf(voice)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
    expect(a.rec.statusesOf(ptv)).toEqual(['SENT', 'RECEIVED', 'READ', 'PLAYED']);
    expect(a.rec.statusesOf(song)).toEqual(['SENT', 'RECEIVED', 'READ']);
    expect(a.rec.statusesOf(text)).toEqual(['SENT', 'RECEIVED', 'READ']);
    const rows = await db.selectFrom('sandbox_messages').select(['id', 'status']).where('id', 'in', [voice, ptv, song, text]).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [voice]: 'played', [ptv]: 'played', [song]: 'read', [text]: 'read' });
  });
});

describe('sandbox network: statuses', () => {
  it('fans a status out to the instances that talked with the poster, once, and viewers may come later', async () => {
    const { db } = await world();
    const a = await peer('A', '5500100000051');
    const b = await peer('B', '5500100000052');
    const c = await peer('C', '5500100000053');
    const d = await peer('D', '5500100000054');
    await a.send(b.jid, { type: 'text', text: 'A to B' });
    await c.send(a.jid, { type: 'text', text: 'C to A' });
    await d.send('5511987650050@s.whatsapp.net', { type: 'text', text: 'D talks to a contact only' });
    await stop(c); // C is away when A posts

    const posts: MessageContent[] = [
      { type: 'text', text: 'my day' },
      { type: 'image', media: media('S1', 'image/jpeg'), caption: 'sunset' },
      { type: 'video', media: media('S2', 'video/mp4'), caption: 'waves' },
    ];
    const ids: string[] = [];
    for (const content of posts) ids.push(await a.send(STATUS_JID, content));
    // A retried post (same id, after a crash) goes out once.
    const retry = await a.engine.messages.send({ id: ids[0], to: STATUS_JID, content: posts[0] });
    expect(retry.duplicate).toBe(true);

    const statusesAt = (p: Peer) => p.rec.messages.filter((m) => m.broadcast);
    expect(statusesAt(b).map((m) => [m.id, m.content])).toEqual(ids.map((id, i) => [id, posts[i]]));
    for (const m of statusesAt(b)) expect(m).toMatchObject({ chatJid: STATUS_JID, senderJid: a.jid, fromMe: false, broadcast: true });
    expect(statusesAt(d)).toEqual([]);
    expect(a.rec.statuses.filter((s) => s.ids[0] === ids[0]).map((s) => [s.status, s.chatJid, s.participant])).toEqual([
      ['SENT', STATUS_JID, undefined],
      ['RECEIVED', STATUS_JID, b.jid],
      ['SENT', STATUS_JID, undefined],
    ]);

    const c2 = await peer('C', c.phone); // C comes back: it gets the posts it missed
    expect(statusesAt(c2).map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(a.rec.statuses.filter((s) => s.participant === c.jid).map((s) => [s.status, s.ids[0]]).sort()).toEqual(ids.map((id) => ['RECEIVED', id]).sort());

    // B views the first two: READ to A, naming B.
    await b.engine.messages.read(STATUS_JID, ids.slice(0, 2));
    expect(a.rec.statuses.filter((s) => s.status === 'READ')).toEqual([expect.objectContaining({ chatJid: STATUS_JID, participant: b.jid, ids: ids.slice(0, 2) })]);

    // B answers the video status: a normal message to A, marked as a status reply.
    const answer = await b.send(a.jid, { type: 'text', text: 'lovely' }, { quotedId: ids[2], quotedIsStatus: true });
    expect(a.rec.message(answer)).toMatchObject({ chatJid: b.jid, isStatusReply: true, quotedId: ids[2], content: { type: 'text', text: 'lovely' } });
    expect(a.rec.message(answer)!.broadcast).toBeUndefined();

    const copies = await db.selectFrom('sandbox_messages').select('to_phone').where('from_phone', '=', a.phone).where('id', 'like', `${ids[0]}%`).execute();
    expect(copies.map((r) => r.to_phone).sort()).toEqual([b.phone, c.phone, STATUS_JID].sort());
  });
});

describe('sandbox network: delete', () => {
  it('revokes our own message for everyone: recorded, idempotent, never delivered when not yet delivered', async () => {
    const { db } = await world();
    const a = await peer('A', '5500100000061');
    const b = await peer('B', '5500100000062');
    const delivered = await a.send(b.jid, { type: 'text', text: 'oops' });
    await a.engine.messages.delete({ id: delivered, chatJid: b.jid, fromMe: true });
    await a.engine.messages.delete({ id: delivered, chatJid: b.jid, fromMe: true }); // idempotent
    const first = JSON.parse((await row(delivered))!.content) as NetworkMessage;
    expect(first.revokedAt).toEqual(expect.any(Number));
    expect(first.content).toEqual({ type: 'text', text: 'oops' });

    await stop(b);
    const pending = await a.send(b.jid, { type: 'image', media: media('M', 'image/png') });
    await a.engine.messages.delete({ id: pending, chatJid: b.jid, fromMe: true });
    const b2 = await peer('B', b.phone);
    expect(b2.rec.message(pending)).toBeUndefined();
    expect(await row(pending)).toMatchObject({ delivered: 1, status: 'sent' });
    expect(a.rec.statusesOf(pending)).toEqual(['SENT']);

    // Not ours: "delete for me" sends nothing and changes nothing on the network.
    const fromB = await b2.send(a.jid, { type: 'text', text: 'keep' });
    const before = await row(fromB);
    await a.engine.messages.delete({ id: fromB, chatJid: b.jid, fromMe: false });
    expect(await row(fromB)).toEqual(before);
    // Claiming someone else's message, or an unknown one, as ours is a 404.
    await expect(a.engine.messages.delete({ id: fromB, chatJid: b.jid, fromMe: true })).rejects.toMatchObject({ statusCode: 404 });
    await expect(a.engine.messages.delete({ id: '3EB0NOSUCHMESSAGE', chatJid: b.jid, fromMe: true })).rejects.toMatchObject({ statusCode: 404 });
    // A message of the chat with B is not in a group.
    await expect(a.engine.messages.delete({ id: delivered, chatJid: '120363000000000001@g.us', fromMe: true })).rejects.toMatchObject({ statusCode: 404 });
    await expect(a.engine.messages.delete({ id: delivered, chatJid: '120363000000000001@newsletter', fromMe: true })).rejects.toMatchObject({ statusCode: 501 });
    const all = await db.selectFrom('sandbox_messages').select('content').execute();
    expect(all.filter((r) => (JSON.parse(r.content) as NetworkMessage).revokedAt !== undefined)).toHaveLength(2);
  });

  it('a simulated contact never receives a message deleted before its receipt was due, nor after a restart', async () => {
    const { db } = await world(300);
    const a = await peer('A', '5500100000071');
    const contact = '5511987650071@s.whatsapp.net';
    const revoked = await a.send(contact, { type: 'text', text: 'oops' });
    const kept = await a.send(contact, { type: 'text', text: 'fine' });
    await a.engine.messages.delete({ id: revoked, chatJid: contact, fromMe: true });
    await waitFor(() => a.rec.statusesOf(kept).includes('READ'), 5000, 'READ of the kept message');
    expect(a.rec.statusesOf(revoked)).toEqual(['SENT']);
    expect(await row(revoked)).toMatchObject({ delivered: 1, status: 'sent' });

    // Revoked while the sender was away: re-armed from the store on its return, still never received.
    const pending = await a.send(contact, { type: 'text', text: 'later' });
    await stop(a);
    await db.updateTable('sandbox_messages').set({ content: JSON.stringify({ ...(JSON.parse((await row(pending))!.content) as NetworkMessage), revokedAt: Date.now() }) }).where('id', '=', pending).execute();
    const a2 = await peer('A', a.phone);
    const after = await a2.send(contact, { type: 'text', text: 'after' });
    await waitFor(() => a2.rec.statusesOf(after).includes('READ'), 5000, 'READ after the return');
    await sleep(100);
    expect(a2.rec.statusesOf(pending)).toEqual([]);
    expect(await row(pending)).toMatchObject({ delivered: 1, status: 'sent' });
  });

  it('a phone is paired with one instance at a time; a logout frees it', async () => {
    const { net } = await world();
    const a = await peer('A', '5500100000081');
    await expect(net.isSandboxPhone(a.phone)).resolves.toBe(true);
    const other = await peer('B', '5500100000082');
    await other.engine.logout();
    await expect(net.isSandboxPhone(other.phone)).resolves.toBe(false);
    await expect(other.engine.pair(a.phone)).rejects.toMatchObject({ statusCode: 409 });
    await a.engine.logout();
    await expect(net.isSandboxPhone(a.phone)).resolves.toBe(false);
    await expect(other.engine.pair(a.phone)).resolves.toBe(a.phone);
    await expect(net.isSandboxPhone(a.phone)).resolves.toBe(true);
    await expect(net.isSandboxPhone(other.phone)).resolves.toBe(false);
  });

  it('revoking a status revokes every viewer copy; a viewer still away never gets it', async () => {
    await world();
    const a = await peer('A', '5500100000071');
    const b = await peer('B', '5500100000072');
    const c = await peer('C', '5500100000073');
    await a.send(b.jid, { type: 'text', text: 'hi B' });
    await a.send(c.jid, { type: 'text', text: 'hi C' });
    await stop(c);
    const post = await a.send(STATUS_JID, { type: 'text', text: 'regret' });
    expect(b.rec.message(post)).toMatchObject({ broadcast: true });
    await a.engine.messages.delete({ id: post, chatJid: STATUS_JID, fromMe: true });
    for (const id of [post, `${post}:${b.phone}`, `${post}:${c.phone}`]) {
      expect((JSON.parse((await row(id))!.content) as NetworkMessage).revokedAt, id).toEqual(expect.any(Number));
    }
    const c2 = await peer('C', c.phone);
    expect(c.rec.message(post)).toBeUndefined();
    expect(c2.rec.messages).toEqual([]); // "hi C" had reached C before; the post never does
    expect(a.rec.statusesOf(post)).toEqual(['SENT', 'RECEIVED']); // from B only
  });
});

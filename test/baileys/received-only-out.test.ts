// The kinds OpenZap only receives (customer carts, payment requests, payments, declines) are
// refused before they are queued, with the reason; a received ad text forwarded goes out as a
// plain text (the ad attribution is WhatsApp's, not the sender's).
import { describe, expect, it } from 'vitest';
import type { MessageContent } from '../../src/engines/content.js';
import { useConnectedEngine, type EngineHarness, type FakeSocket } from './fake-socket.js';

const CONTACT_JID = '5511987654321@s.whatsapp.net';
const payment = { value: 1, currency: 'BRL', status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' };

let h: EngineHarness;
let sock: FakeSocket;

useConnectedEngine((e) => ({ h, sock } = e));

describe('received-only kinds through Baileys', () => {
  it.each<[string, MessageContent]>([
    ['cart', { type: 'cart', orderId: '1', token: 't', itemCount: 1, sellerJid: CONTACT_JID, currency: 'BRL', total: 1, subTotal: 1, products: [] }],
    ['paymentRequest', { type: 'paymentRequest', value: 1, currency: 'BRL', requestFrom: CONTACT_JID, expiration: 0, payment }],
    ['paymentSent', { type: 'paymentSent', payment }],
    ['paymentDeclined', { type: 'paymentDeclined', value: 1, currency: 'BRL' }],
  ])('%s: refused with the reason, nothing sent', async (_k, content) => {
    expect(h.engine.messages.unsupportedReason(content, CONTACT_JID)).toMatch(/OpenZap only receives them/);
    await expect(h.engine.messages.send({ id: '3EB0OUTRCV0001', to: CONTACT_JID, content })).rejects.toMatchObject({ statusCode: 501, error: 'unsupported' });
    expect(sock.sendMessage).not.toHaveBeenCalled();
    expect(sock.relayMessage).not.toHaveBeenCalled();
  });

  it('a text that came from an ad is sent as its text alone', async () => {
    const ad = {
      title: 'T',
      body: 'B',
      mediaType: 1,
      sourceType: 'ad',
      sourceId: '1',
      sourceUrl: 'https://fb.me/x',
      ctwaClid: 'c',
      containsAutoReply: false,
      renderLargerThumbnail: false,
      showAdAttribution: true,
    };
    expect(h.engine.messages.unsupportedReason({ type: 'text', text: 'oi', ad }, CONTACT_JID)).toBeNull();
    await h.engine.messages.send({ id: '3EB0OUTRCV0002', to: CONTACT_JID, content: { type: 'text', text: 'oi', ad } });
    expect(sock.sendMessage.mock.calls.at(-1)![1]).toEqual({ text: 'oi' });
  });
});

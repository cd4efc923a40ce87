// ReceivedCallback content variants: every engine content kind → the documented Z-API object,
// checked value by value, then key by key against the docs' examples (test/fixtures/catalogue.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage, MediaRef, MessageContent } from '../../src/engines/engine.js';
import { blankInstanceRow } from '../../src/domain/instances.js';
import { receivedCallback, type MediaUrls, type Payload } from '../../src/webhooks/payloads.js';

const INST = blankInstanceRow({ id: 'A20DA9C0183A2D35A260F53F5D2B9244', account_id: 'ACC', name: 'test', engine: 'sandbox' });
const ME = '554499999999';
const CONTACT = '5544999999999';
const CONTACT_JID = `${CONTACT}@s.whatsapp.net`;
const GROUP_JID = '120363239161320697@g.us';
const T = 1_714_423_417_000;
const urls: MediaUrls = { url: (r) => 'http://127.0.0.1:3000/media/' + r.id + '/' + (r.fileName ?? 'file') };
const URL_OF = (r: MediaRef) => urls.url(r);

const IMG: MediaRef = { id: 'img1', mimeType: 'image/jpeg', size: 48_213, fileName: 'photo.jpg' };
const IMG2: MediaRef = { id: 'img2', mimeType: 'image/png', size: 9_000 };
const VID: MediaRef = { id: 'vid1', mimeType: 'video/mp4', size: 1_200_000, fileName: 'clip.mp4' };
const AUD: MediaRef = { id: 'aud1', mimeType: 'audio/ogg; codecs=opus', size: 15_000 };
const STK: MediaRef = { id: 'stk1', mimeType: 'image/webp', size: 20_000 };
const PDF: MediaRef = { id: 'doc1', mimeType: 'application/pdf', size: 80_000, fileName: 'invoice.pdf' };

function msg(content: MessageContent, extra: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    id: '3EB0C767D26A1B2C3D4E',
    chatJid: CONTACT_JID,
    senderJid: CONTACT_JID,
    senderName: 'Maria',
    fromMe: false,
    fromApi: false,
    timestamp: T,
    content,
    ...extra,
  };
}

const cb = (m: IncomingMessage) => receivedCallback(INST, m, ME, urls);

// One realistic message per content kind (several for kinds with distinct variants).
const M = {
  text: msg({ type: 'text', text: 'Olá @5511911112222', mentions: ['5511911112222@s.whatsapp.net'] }),
  link: msg({
    type: 'link',
    text: 'Veja https://openzap.dev',
    url: 'https://openzap.dev',
    title: 'OpenZap',
    description: 'Self-hosted WhatsApp gateway',
    image: IMG,
  }),
  image: msg({ type: 'image', media: IMG, caption: 'a foto', width: 600, height: 315 }, { viewOnce: true }),
  sticker: msg({ type: 'sticker', media: STK, author: 'someone' }),
  video: msg({ type: 'video', media: VID, caption: 'o vídeo', seconds: 13, viewOnce: true }),
  gif: msg({ type: 'video', media: VID, gif: true, seconds: 3 }),
  ptv: msg({ type: 'ptv', media: VID, seconds: 7 }),
  audio: msg({ type: 'audio', media: AUD, ptt: true, seconds: 10 }),
  document: msg({ type: 'document', media: PDF, fileName: 'invoice.pdf', title: 'invoice', pageCount: 2, caption: 'segue' }),
  location: msg({ type: 'location', latitude: -23.5489, longitude: -46.6388, name: 'Sé', address: 'Praça da Sé, São Paulo', url: 'https://maps.google.com/?q=-23.5489,-46.6388' }),
  contact: msg({ type: 'contacts', contacts: [{ name: 'Cesar Baleco', phones: ['5544999999999'] }] }),
  contacts: msg({
    type: 'contacts',
    contacts: [
      { name: 'Ana', phones: ['5511911112222', '5511933334444'], businessDescription: 'Loja; centro' },
      { name: 'Bruno', phones: ['5521955556666'], vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Bruno\nEND:VCARD' },
    ],
  }),
  reaction: msg({ type: 'reaction', emoji: '❤️', target: { id: '3EB0796DC6B777C0C7CD', chatJid: CONTACT_JID, fromMe: true } }),
  buttonsImage: msg({
    type: 'buttons',
    text: 'Escolha',
    image: IMG,
    buttons: [
      { id: '1', kind: 'REPLY', label: 'Sim' },
      { id: '2', kind: 'REPLY', label: 'Não' },
    ],
  }),
  buttonsVideo: msg({ type: 'buttons', text: 'Assista', video: VID, footer: 'rodapé', buttons: [{ id: 'ok', kind: 'REPLY', label: 'Ok' }] }),
  template: msg({
    type: 'buttons',
    text: 'message text',
    title: 'message title',
    footer: 'message footer',
    buttons: [
      { id: 'site', kind: 'URL', label: 'Site', url: 'https://openzap.dev' },
      { id: 'tel', kind: 'CALL', label: 'Ligar', phone: '5544999999999' },
      { id: 'r1', kind: 'REPLY', label: 'Falar' },
    ],
  }),
  templateImage: msg({ type: 'buttons', text: 'message text', image: IMG, buttons: [{ id: 'u', kind: 'URL', label: 'Abrir', url: 'https://x.test' }] }),
  templateVideo: msg({ type: 'buttons', text: 'message text', video: VID, buttons: [{ id: 'c', kind: 'CALL', label: 'Ligar', phone: '5511900000000' }] }),
  list: msg({
    type: 'list',
    text: 'Selecione a melhor opção:',
    title: 'Opções disponíveis',
    buttonLabel: 'Abrir lista de opções',
    sections: [
      { title: 'APIs', rows: [{ id: '1', title: 'Z-API', description: 'Asas para sua imaginação' }, { id: '2', title: 'Outros' }] },
      { title: 'Mais', rows: [{ id: '3', title: 'OpenZap', description: 'Self-hosted' }] },
    ],
  }),
  otp: msg({ type: 'otp', text: 'Seu código é 123456', code: '123 456' }),
  pix: msg({ type: 'pix', key: 'pixkey@example.com', keyType: 'EMAIL', merchantName: 'Loja', currency: 'BRL', referenceId: '4PXRAHSIRDA' }),
  carousel: msg({
    type: 'carousel',
    text: 'Message text',
    cards: [
      { text: 'Card 1', image: IMG, buttons: [{ id: 'u1', kind: 'URL', label: 'Ver', url: 'https://a.test' }, { id: '2', kind: 'REPLY', label: 'Quero' }] },
      { text: 'Card 2', image: IMG2, buttons: [{ id: 'u2', kind: 'URL', label: 'Ver', url: 'https://b.test' }, { id: '3', kind: 'REPLY', label: 'Quero' }] },
    ],
  }),
  poll: msg({ type: 'poll', question: 'What is the best WhatsApp API?', options: ['Z-API', 'Others'], maxOptions: 1 }),
  pollVote: msg({ type: 'pollVote', poll: { id: '3EB0POLL0001', chatJid: CONTACT_JID, fromMe: true }, options: ['Z-API'] }),
  product: msg({
    type: 'product',
    catalogJid: '5544988887777@s.whatsapp.net',
    productId: '99999999999999999999',
    title: 'Camiseta',
    description: 'Algodão',
    price: 59.9,
    currency: 'BRL',
    image: IMG,
  }),
  catalog: msg({ type: 'catalog', catalogJid: '5544988887777@s.whatsapp.net', text: 'Veja nosso catálogo', title: 'Catálogo', description: 'Produtos e serviços' }),
  order: msg({
    type: 'order',
    text: 'Seu pedido',
    referenceId: '4N9AVI38VOB',
    orderRequestId: '4N9AVI38VYZ',
    order: {
      currency: 'BRL',
      discount: 10,
      tax: 10,
      shipping: 5,
      products: [
        { name: 'order 1', value: 150, quantity: 2, productId: 'custom-item-4N9AVI38WI1', isCustomItem: true },
        { name: 'order 2', value: 150, quantity: 2, productId: '23940797548900636' },
      ],
    },
    payment: { pix: { key: 'k', keyType: 'EVP', name: 'Loja' } },
    subTotal: 600,
    total: 605,
  }),
  orderUpdate: msg({
    type: 'orderUpdate',
    update: 'status',
    orderMessageId: '3EB0ORDER001',
    referenceId: '4N9AVI38VOB',
    orderRequestId: '4N9AVI38VYZ',
    orderStatus: 'processing',
    paymentStatus: 'pending',
    order: { currency: 'BRL', products: [{ name: 'avulso', value: 300, quantity: 1 }] },
    subTotal: 300,
    total: 300,
  }),
  pin: msg({ type: 'pin', action: 'pin', durationSecs: 604800, target: { id: '3EB0796DC6B777C0C7CD', chatJid: `${ME}@s.whatsapp.net`, fromMe: true } }),
  newsletterAdminInvite: msg({
    type: 'newsletterAdminInvite',
    newsletterJid: '120363166555745933@newsletter',
    newsletterName: 'Teste',
    text: 'I want to invite you to be an admin of my channel on WhatsApp.',
    expiration: 1706809668,
  }),
  event: msg(
    { type: 'event', name: 'Event name', description: 'Event description', startTime: 1716915653, canceled: false, joinLink: 'https://call.whatsapp.com/video/v9123X', location: { name: 'Escritório' } },
    { chatJid: GROUP_JID },
  ),
  eventResponse: msg(
    { type: 'eventResponse', response: 'GOING', event: { id: 'D2D612289D9E8F62307D72409A8D9DC3', chatJid: GROUP_JID, fromMe: false, participant: '554499999988@s.whatsapp.net' } },
    { chatJid: GROUP_JID, senderJid: `${ME}@s.whatsapp.net` },
  ),
  buttonReply: msg({ type: 'buttonReply', buttonId: '1', text: 'Ótimo', quotedId: '3EB0BUTTONS01' }),
  listReply: msg({ type: 'listReply', rowId: '1', title: 'Z-API', text: 'Z-API Wings for your imagination', quotedId: '3EB0LIST0001' }),
  adText: msg({
    type: 'text',
    text: 'Quero saber mais',
    ad: {
      title: 'Promoção',
      body: 'Tudo pela metade do preço',
      mediaType: 1,
      thumbnail: IMG,
      thumbnailUrl: 'https://scontent.test/ad.jpg',
      sourceType: 'ad',
      sourceId: '23722824350495506',
      sourceUrl: 'https://fb.me/2Xyz',
      ctwaClid: 'Aff-niaAw7V94N8LGd79Vjr43TlJD4Uno',
      containsAutoReply: false,
      renderLargerThumbnail: true,
      showAdAttribution: true,
    },
  }),
  templateDocument: msg({
    type: 'buttons',
    text: 'message text',
    title: 'message title',
    footer: 'message footer',
    document: PDF,
    templateId: '811492407484976',
    buttons: [],
  }),
  templateLocation: msg({
    type: 'buttons',
    text: 'message text',
    title: 'message title',
    footer: 'message footer',
    location: { latitude: -23.5489, longitude: -46.6388, name: 'Sé', address: 'Praça da Sé' },
    templateId: '1143940003434066',
    buttons: [{ id: 'q', kind: 'REPLY', label: 'Chegando' }],
  }),
  cart: msg({
    type: 'cart',
    orderId: '422508169684569',
    token: 'AR5d4yUr+DmSzeCR2kUtPEeMfS+eG0O+S/T/17B+oY1mfA==',
    itemCount: 3,
    message: 'Entrega amanhã?',
    title: 'Camiseta',
    sellerJid: `${ME}@s.whatsapp.net`,
    thumbnail: IMG2,
    currency: 'BRL',
    total: 139.8,
    subTotal: 139.8,
    products: [
      { productId: '5338924696127051', retailerId: '1242', name: 'Camiseta', quantity: 2, price: 59.9, currency: 'BRL' },
      { productId: '5338924696127052', name: 'Boné', quantity: 1, price: 20, currency: 'BRL' },
    ],
  }),
  paymentRequest: msg({
    type: 'paymentRequest',
    value: 1,
    currency: 'BRL',
    requestFrom: `${ME}@s.whatsapp.net`,
    expiration: 1632834482000,
    note: 'o almoço',
    payment: { value: 1, currency: 'BRL', status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' },
  }),
  paymentSent: msg({
    type: 'paymentSent',
    requestId: '3EB0REQUEST01',
    payment: { value: 25.5, currency: 'BRL', status: 'COMPLETE', transactionStatus: 'SUCCESS' },
  }),
  paymentDeclined: msg({ type: 'paymentDeclined', request: { id: '3EB0REQUEST02', chatJid: CONTACT_JID, fromMe: true }, value: 1, currency: 'BRL' }),
} satisfies Record<string, IncomingMessage>;

describe('receivedCallback content variants: exact values', () => {
  it('text: only `message`, mentions do not change the object', () => {
    expect(cb(M.text).text).toEqual({ message: 'Olá @5511911112222' });
  });

  it('link: text with title, description, url and the preview image', () => {
    expect(cb(M.link).text).toEqual({
      message: 'Veja https://openzap.dev',
      title: 'OpenZap',
      description: 'Self-hosted WhatsApp gateway',
      url: 'https://openzap.dev',
      thumbnailUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
    });
    const noImage = cb(msg({ type: 'link', text: 't', url: 'https://u.test', title: 'T', description: 'D' })).text as Payload;
    expect(noImage).not.toHaveProperty('thumbnailUrl');
    expect(noImage).not.toHaveProperty('descritpion');
  });

  it('image: view-once from the message flag, dimensions, caption', () => {
    expect(cb(M.image).image).toEqual({
      imageUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
      thumbnailUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
      caption: 'a foto',
      mimeType: 'image/jpeg',
      width: 600,
      height: 315,
      viewOnce: true,
    });
    expect(cb(msg({ type: 'image', media: IMG2 })).image).toEqual({
      imageUrl: 'http://127.0.0.1:3000/media/img2/file',
      thumbnailUrl: 'http://127.0.0.1:3000/media/img2/file',
      caption: '',
      mimeType: 'image/png',
      width: 0,
      height: 0,
      viewOnce: false,
    });
  });

  it('sticker', () => {
    expect(cb(M.sticker).sticker).toEqual({ stickerUrl: 'http://127.0.0.1:3000/media/stk1/file', mimeType: 'image/webp' });
  });

  it('video and gif: isGif tells them apart', () => {
    expect(cb(M.video).video).toEqual({
      videoUrl: 'http://127.0.0.1:3000/media/vid1/clip.mp4',
      caption: 'o vídeo',
      mimeType: 'video/mp4',
      seconds: 13,
      viewOnce: true,
      isGif: false,
    });
    expect(cb(M.gif).video).toEqual({
      videoUrl: 'http://127.0.0.1:3000/media/vid1/clip.mp4',
      caption: '',
      mimeType: 'video/mp4',
      seconds: 3,
      viewOnce: false,
      isGif: true,
    });
  });

  it('ptv: the documented `video` plus the captured `ptv` object', () => {
    const p = cb(M.ptv);
    expect(p.video).toEqual({ videoUrl: 'http://127.0.0.1:3000/media/vid1/clip.mp4', caption: '', mimeType: 'video/mp4', seconds: 7 });
    expect(p.ptv).toEqual({ ptvUrl: 'http://127.0.0.1:3000/media/vid1/clip.mp4', caption: '', mimeType: 'video/mp4' });
  });

  it('audio', () => {
    expect(cb(M.audio).audio).toEqual({ ptt: true, seconds: 10, audioUrl: 'http://127.0.0.1:3000/media/aud1/file', mimeType: 'audio/ogg; codecs=opus', viewOnce: false });
    expect(cb(msg({ type: 'audio', media: AUD, ptt: false }, { viewOnce: true })).audio).toMatchObject({ ptt: false, seconds: 0, viewOnce: true });
  });

  it('document', () => {
    expect(cb(M.document).document).toEqual({
      documentUrl: 'http://127.0.0.1:3000/media/doc1/invoice.pdf',
      mimeType: 'application/pdf',
      title: 'invoice',
      pageCount: 2,
      fileName: 'invoice.pdf',
      caption: 'segue',
    });
    expect(cb(msg({ type: 'document', media: PDF, fileName: 'x.pdf' })).document).toMatchObject({ title: '', pageCount: 0, fileName: 'x.pdf', caption: null });
  });

  it('location', () => {
    expect(cb(M.location).location).toEqual({
      longitude: -46.6388,
      latitude: -23.5489,
      address: 'Praça da Sé, São Paulo',
      url: 'https://maps.google.com/?q=-23.5489,-46.6388',
      name: 'Sé',
    });
  });

  it('one contact: vCard 3.0 built with waid TEL lines', () => {
    const p = cb(M.contact);
    expect(p.contact).toEqual({
      displayName: 'Cesar Baleco',
      vCard: 'BEGIN:VCARD\nVERSION:3.0\nN:;Cesar Baleco;;;\nFN:Cesar Baleco\nTEL;type=CELL;type=VOICE;waid=5544999999999:+5544999999999\nEND:VCARD',
      phones: ['5544999999999'],
    });
    expect(p).not.toHaveProperty('contacts');
  });

  it('several contacts: `contact` is the first, `contacts` lists all; a received vCard is kept as is', () => {
    const p = cb(M.contacts);
    const ana = {
      displayName: 'Ana',
      vCard:
        'BEGIN:VCARD\nVERSION:3.0\nN:;Ana;;;\nFN:Ana\nTEL;type=CELL;type=VOICE;waid=5511911112222:+5511911112222\n' +
        'TEL;type=CELL;type=VOICE;waid=5511933334444:+5511933334444\nX-WA-BIZ-DESCRIPTION:Loja\\; centro\nEND:VCARD',
      phones: ['5511911112222', '5511933334444'],
    };
    const bruno = { displayName: 'Bruno', vCard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Bruno\nEND:VCARD', phones: ['5521955556666'] };
    expect(p.contact).toEqual(ana);
    expect(p.contacts).toEqual([ana, bruno]);
  });

  it('reaction: time is the message time, reactionBy the sender, referencedMessage the target', () => {
    expect(cb(M.reaction).reaction).toEqual({
      value: '❤️',
      time: T,
      reactionBy: CONTACT,
      referencedMessage: { messageId: '3EB0796DC6B777C0C7CD', fromMe: true, phone: CONTACT, participant: null },
    });
    const inGroup = cb(
      msg(
        { type: 'reaction', emoji: '', target: { id: 'X1', chatJid: GROUP_JID, fromMe: false, participant: '5511922223333@s.whatsapp.net' } },
        { chatJid: GROUP_JID, senderJid: '5511944445555@s.whatsapp.net', timestamp: T + 5 },
      ),
    );
    expect(inGroup.reaction).toEqual({
      value: '',
      time: T + 5,
      reactionBy: '5511944445555',
      referencedMessage: { messageId: 'X1', fromMe: false, phone: '120363239161320697-group', participant: '5511922223333' },
    });
  });

  it('reply buttons: buttonsMessage with image or video', () => {
    expect(cb(M.buttonsImage).buttonsMessage).toEqual({
      imageUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
      videoUrl: null,
      message: 'Escolha',
      buttons: [
        { buttonId: '1', type: 1, buttonText: { displayText: 'Sim' } },
        { buttonId: '2', type: 1, buttonText: { displayText: 'Não' } },
      ],
    });
    expect(cb(M.buttonsVideo).buttonsMessage).toEqual({
      imageUrl: null,
      videoUrl: 'http://127.0.0.1:3000/media/vid1/clip.mp4',
      message: 'Assista',
      footer: 'rodapé',
      buttons: [{ buttonId: 'ok', type: 1, buttonText: { displayText: 'Ok' } }],
    });
    expect(cb(M.buttonsImage)).not.toHaveProperty('hydratedTemplate');
  });

  it('URL/CALL buttons: hydratedTemplate with indexed url, call and quick-reply buttons', () => {
    const p = cb(M.template);
    expect(p).not.toHaveProperty('buttonsMessage');
    expect(p.hydratedTemplate).toEqual({
      header: {},
      message: 'message text',
      footer: 'message footer',
      title: 'message title',
      templateId: '',
      hydratedButtons: [
        { index: 0, urlButton: { displayText: 'Site', url: 'https://openzap.dev' } },
        { index: 1, callButton: { displayText: 'Ligar', phoneNumber: '5544999999999' } },
        { index: 2, quickReplyButton: { displayText: 'Falar', id: 'r1' } },
      ],
    });
    expect((cb(M.templateImage).hydratedTemplate as Payload).header).toEqual({
      image: {
        imageUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
        thumbnailUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
        caption: '',
        mimeType: 'image/jpeg',
        viewOnce: false,
        width: 0,
        height: 0,
      },
    });
    expect((cb(M.templateVideo).hydratedTemplate as Payload).header).toEqual({
      video: { videoUrl: 'http://127.0.0.1:3000/media/vid1/clip.mp4', caption: '', mimeType: 'video/mp4', width: 0, height: 0, seconds: 0, viewOnce: false },
    });
  });

  it('list: listMessage mirroring the send-option-list body', () => {
    expect(cb(M.list).listMessage).toEqual({
      message: 'Selecione a melhor opção:',
      title: 'Opções disponíveis',
      buttonLabel: 'Abrir lista de opções',
      footer: '',
      options: [
        { id: '1', title: 'Z-API', description: 'Asas para sua imaginação' },
        { id: '2', title: 'Outros', description: '' },
        { id: '3', title: 'OpenZap', description: 'Self-hosted' },
      ],
      sections: [
        {
          title: 'APIs',
          options: [
            { id: '1', title: 'Z-API', description: 'Asas para sua imaginação' },
            { id: '2', title: 'Outros', description: '' },
          ],
        },
        { title: 'Mais', options: [{ id: '3', title: 'OpenZap', description: 'Self-hosted' }] },
      ],
    });
  });

  it('otp: hydratedTemplate with a "Copy code" url button carrying the code', () => {
    expect(cb(M.otp).hydratedTemplate).toEqual({
      header: {},
      message: 'Seu código é 123456',
      footer: '',
      title: '',
      templateId: '',
      hydratedButtons: [{ urlButton: { displayText: 'Copy code', url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=123%20456' }, index: 0 }],
    });
    const withImage = cb(msg({ type: 'otp', text: 't', code: '9', buttonText: 'Copiar', image: IMG })).hydratedTemplate as Payload;
    expect(withImage.header).toHaveProperty('image.imageUrl', 'http://127.0.0.1:3000/media/img1/photo.jpg');
    expect(withImage.hydratedButtons).toEqual([{ urlButton: { displayText: 'Copiar', url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=9' }, index: 0 }]);
  });

  it('pix', () => {
    expect(cb(M.pix).pixKeyMessage).toEqual({ currency: 'BRL', referenceId: '4PXRAHSIRDA', key: 'pixkey@example.com', keyType: 'EMAIL', merchantName: 'Loja' });
  });

  it('carousel: one card per card, image header and indexed buttons', () => {
    const c = cb(M.carousel).carouselMessage as { text: string; cards: Payload[] };
    expect(c.text).toBe('Message text');
    expect(c.cards).toHaveLength(2);
    expect(c.cards[1]).toEqual({
      header: {
        image: {
          imageUrl: 'http://127.0.0.1:3000/media/img2/file',
          thumbnailUrl: 'http://127.0.0.1:3000/media/img2/file',
          caption: '',
          mimeType: 'image/png',
          viewOnce: false,
          width: 0,
          height: 0,
        },
      },
      message: 'Card 2',
      footer: '',
      title: '',
      hydratedButtons: [
        { index: 0, urlButton: { displayText: 'Ver', url: 'https://b.test' } },
        { index: 1, quickReplyButton: { displayText: 'Quero', id: '3' } },
      ],
    });
  });

  it('poll and pollVote', () => {
    expect(cb(M.poll).poll).toEqual({ question: 'What is the best WhatsApp API?', pollMaxOptions: 1, options: [{ name: 'Z-API' }, { name: 'Others' }] });
    expect(cb(M.pollVote).pollVote).toEqual({ pollMessageId: '3EB0POLL0001', options: [{ name: 'Z-API' }] });
  });

  it('product', () => {
    expect(cb(M.product).product).toEqual({
      productImage: 'http://127.0.0.1:3000/media/img1/photo.jpg',
      businessOwnerJid: '5544988887777',
      currencyCode: 'BRL',
      productId: '99999999999999999999',
      description: 'Algodão',
      productImageCount: 1,
      price: 59.9,
      url: '',
      retailerId: '',
      firstImageId: '',
      title: 'Camiseta',
    });
  });

  it('catalog: a text with the wa.me/c link', () => {
    expect(cb(M.catalog).text).toEqual({ message: 'Veja nosso catálogo', title: 'Catálogo', description: 'Produtos e serviços', url: 'https://wa.me/c/5544988887777' });
    expect(cb(msg({ type: 'catalog', catalogJid: '5544988887777@s.whatsapp.net' })).text).toEqual({
      message: 'https://wa.me/c/5544988887777',
      title: '',
      description: '',
      url: 'https://wa.me/c/5544988887777',
    });
  });

  it('order: reviewAndPay, pending', () => {
    expect(cb(M.order).reviewAndPay).toEqual({
      type: 'physical-goods',
      currency: 'BRL',
      referenceId: '4N9AVI38VOB',
      orderRequestId: '4N9AVI38VYZ',
      orderStatus: 'pending',
      paymentStatus: 'pending',
      total: 605,
      subTotal: 600,
      discount: 10,
      shipping: 5,
      tax: 10,
      products: [
        { name: 'order 1', quantity: 2, isCustomItem: true, productId: 'custom-item-4N9AVI38WI1', value: 150 },
        { name: 'order 2', quantity: 2, isCustomItem: false, productId: '23940797548900636', value: 150 },
      ],
    });
  });

  it('orderUpdate: reviewOrder with the new statuses; missing money fields are 0', () => {
    expect(cb(M.orderUpdate).reviewOrder).toEqual({
      currency: 'BRL',
      referenceId: '4N9AVI38VOB',
      orderRequestId: '4N9AVI38VYZ',
      orderStatus: 'processing',
      paymentStatus: 'pending',
      total: 300,
      subTotal: 300,
      discount: 0,
      shipping: 0,
      tax: 0,
      products: [{ name: 'avulso', quantity: 1, isCustomItem: true, productId: '', value: 300 }],
    });
  });

  it('pin', () => {
    expect(cb(M.pin).pinMessage).toEqual({
      action: 'pin',
      pinDurationInSecs: 604800,
      referencedMessage: { messageId: '3EB0796DC6B777C0C7CD', fromMe: true, phone: ME, participant: null },
    });
  });

  it('newsletterAdminInvite', () => {
    expect(cb(M.newsletterAdminInvite).newsletterAdminInvite).toEqual({
      newsletterId: '120363166555745933@newsletter',
      newsletterName: 'Teste',
      text: 'I want to invite you to be an admin of my channel on WhatsApp.',
      inviteExpiration: 1706809668,
    });
  });

  it('event and eventResponse', () => {
    expect(cb(M.event).event).toEqual({
      name: 'Event name',
      description: 'Event description',
      canceled: false,
      joinLink: 'https://call.whatsapp.com/video/v9123X',
      scheduleTime: 1716915653,
      location: { name: 'Escritório' },
    });
    expect(cb(msg({ type: 'event', name: 'E', startTime: 1, canceled: true })).event).toEqual({
      name: 'E',
      description: '',
      canceled: true,
      joinLink: '',
      scheduleTime: 1,
      location: {},
    });
    expect(cb(M.eventResponse).eventResponse).toEqual({
      response: 'GOING',
      responseFrom: ME,
      time: T,
      referencedMessage: { messageId: 'D2D612289D9E8F62307D72409A8D9DC3', fromMe: false, phone: '120363239161320697-group', participant: '554499999988' },
    });
  });

  it('buttonReply and listReply: the answered message becomes referenceMessageId', () => {
    const b = cb(M.buttonReply);
    expect(b.buttonsResponseMessage).toEqual({ buttonId: '1', message: 'Ótimo' });
    expect(b.referenceMessageId).toBe('3EB0BUTTONS01');
    const l = cb(M.listReply);
    expect(l.listResponseMessage).toEqual({ message: 'Z-API Wings for your imagination', title: 'Z-API', selectedRowId: '1' });
    expect(l.referenceMessageId).toBe('3EB0LIST0001');
    // A quote set on the message itself wins.
    expect(cb({ ...M.buttonReply, quotedId: '3EB0OTHER' }).referenceMessageId).toBe('3EB0OTHER');
  });
});

describe('receivedCallback content variants only received', () => {
  it('text from an ad: text filled from the ad, externalAdReply beside it; the kept image is the thumbnail', () => {
    const p = cb(M.adText);
    expect(p.text).toEqual({
      message: 'Quero saber mais',
      description: 'Tudo pela metade do preço',
      title: 'Promoção',
      url: 'https://fb.me/2Xyz',
      thumbnailUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
    });
    expect(p.externalAdReply).toEqual({
      title: 'Promoção',
      body: 'Tudo pela metade do preço',
      mediaType: 1,
      thumbnailUrl: 'http://127.0.0.1:3000/media/img1/photo.jpg',
      sourceType: 'ad',
      sourceId: '23722824350495506',
      ctwaClid: 'Aff-niaAw7V94N8LGd79Vjr43TlJD4Uno',
      sourceUrl: 'https://fb.me/2Xyz',
      containsAutoReply: false,
      renderLargerThumbnail: true,
      showAdAttribution: true,
    });
    // No kept image: WhatsApp's own URL; none at all: "".
    const ad = (M.adText.content as Extract<MessageContent, { type: 'text' }>).ad!;
    const remote = cb(msg({ type: 'text', text: 'x', ad: { ...ad, thumbnail: undefined } }));
    expect((remote.externalAdReply as Payload).thumbnailUrl).toBe('https://scontent.test/ad.jpg');
    expect((remote.text as Payload).thumbnailUrl).toBe('https://scontent.test/ad.jpg');
    const bare = cb(msg({ type: 'text', text: 'x', ad: { ...ad, thumbnail: undefined, thumbnailUrl: undefined } }));
    expect((bare.externalAdReply as Payload).thumbnailUrl).toBe('');
    // A plain text has no externalAdReply.
    expect(cb(M.text)).not.toHaveProperty('externalAdReply');
  });

  it('template with a document header: hydratedTemplate even without buttons, the template id kept', () => {
    expect(cb(M.templateDocument).hydratedTemplate).toEqual({
      header: {
        document: {
          caption: null,
          documentUrl: 'http://127.0.0.1:3000/media/doc1/invoice.pdf',
          mimeType: 'application/pdf',
          title: '',
          pageCount: 0,
          fileName: 'invoice.pdf',
        },
      },
      message: 'message text',
      footer: 'message footer',
      title: 'message title',
      templateId: '811492407484976',
      hydratedButtons: [],
    });
    expect(cb(M.templateDocument)).not.toHaveProperty('buttonsMessage');
  });

  it('template with a location header and a reply button: hydratedTemplate, not buttonsMessage', () => {
    const p = cb(M.templateLocation);
    expect(p).not.toHaveProperty('buttonsMessage');
    expect(p.hydratedTemplate).toEqual({
      header: { location: { longitude: -46.6388, latitude: -23.5489, name: 'Sé', address: 'Praça da Sé', url: '' } },
      message: 'message text',
      footer: 'message footer',
      title: 'message title',
      templateId: '1143940003434066',
      hydratedButtons: [{ index: 0, quickReplyButton: { displayText: 'Chegando', id: 'q' } }],
    });
    // A received template with reply buttons only and no header is still a template.
    const plain = cb(msg({ type: 'buttons', text: 't', templateId: '', buttons: [{ id: '1', kind: 'REPLY', label: 'Ok' }] }));
    expect(plain.hydratedTemplate).toMatchObject({ header: {}, templateId: '', hydratedButtons: [{ index: 0, quickReplyButton: { displayText: 'Ok', id: '1' } }] });
    expect(plain).not.toHaveProperty('buttonsMessage');
  });

  it('cart: order with both seller spellings, the thumbnail URL, the lines', () => {
    expect(cb(M.cart).order).toEqual({
      itemCount: 3,
      orderId: '422508169684569',
      message: 'Entrega amanhã?',
      orderTitle: 'Camiseta',
      sellerJid: ME,
      sellerID: ME,
      thumbnailUrl: 'http://127.0.0.1:3000/media/img2/file',
      token: 'AR5d4yUr+DmSzeCR2kUtPEeMfS+eG0O+S/T/17B+oY1mfA==',
      currency: 'BRL',
      total: 139.8,
      subTotal: 139.8,
      products: [
        { quantity: 2, name: 'Camiseta', productId: '5338924696127051', retailerId: '1242', price: 59.9, currencyCode: 'BRL' },
        { quantity: 1, name: 'Boné', productId: '5338924696127052', retailerId: '', price: 20, currencyCode: 'BRL' },
      ],
    });
    const bare = cb(msg({ type: 'cart', orderId: '1', token: 't', itemCount: 1, sellerJid: `${ME}@s.whatsapp.net`, currency: 'BRL', total: 2, subTotal: 2, products: [] })).order;
    expect(bare).toMatchObject({ message: '', orderTitle: '', thumbnailUrl: '', products: [] });
  });

  it('paymentRequest: requestPayment with requestPhone = who is asked to pay; unknown receiver = the requester', () => {
    expect(cb(M.paymentRequest).requestPayment).toEqual({
      value: 1,
      currencyCode: 'BRL',
      expiration: 1632834482000,
      requestPhone: ME,
      paymentInfo: { receiverPhone: CONTACT, value: 1, currencyCode: 'BRL', status: 'WAITING', transactionStatus: 'COLLECT_SUCCESS' },
    });
    const known = cb(msg({ ...(M.paymentRequest.content as object), payment: { receiverJid: '5511955554444@s.whatsapp.net', value: 1, currency: 'BRL', status: 'EXPIRED', transactionStatus: 'COLLECT_EXPIRED' } } as MessageContent));
    expect((known.requestPayment as Payload).paymentInfo).toEqual({ receiverPhone: '5511955554444', value: 1, currencyCode: 'BRL', status: 'EXPIRED', transactionStatus: 'COLLECT_EXPIRED' });
  });

  it('paymentSent: sendPayment; unknown receiver = the other side; the paid request is the referenceMessageId', () => {
    const p = cb(M.paymentSent);
    expect(p.sendPayment).toEqual({ paymentInfo: { receiverPhone: ME, value: 25.5, currencyCode: 'BRL', status: 'COMPLETE', transactionStatus: 'SUCCESS' } });
    expect(p.referenceMessageId).toBe('3EB0REQUEST01');
    // Paid from the instance's own phone: the contact receives.
    const mine = cb(msg(M.paymentSent.content, { fromMe: true, senderJid: `${ME}@s.whatsapp.net` }));
    expect((mine.sendPayment as { paymentInfo: Payload }).paymentInfo.receiverPhone).toBe(CONTACT);
  });

  it('paymentDeclined: the PAYMENT_ACTION_REQUEST_DECLINED notification, [phone, currency, amount1000], no content object', () => {
    const p = cb(M.paymentDeclined);
    expect(p.notification).toBe('PAYMENT_ACTION_REQUEST_DECLINED');
    expect(p.notificationParameters).toEqual([CONTACT, 'BRL', '1000']);
    expect(p.referenceMessageId).toBe('3EB0REQUEST02');
    expect(p).toMatchObject({ type: 'ReceivedCallback', phone: CONTACT, fromMe: false, waitingMessage: false });
    for (const k of ['text', 'requestPayment', 'sendPayment', 'order']) expect(p).not.toHaveProperty(k);
    // Declined from the instance's own phone: the phone is the contact whose request it was.
    const mine = cb(msg({ type: 'paymentDeclined', request: { id: 'R', chatJid: CONTACT_JID, fromMe: false }, value: 12.345, currency: 'USD' }, { fromMe: true, senderJid: `${ME}@s.whatsapp.net` }));
    expect(mine.notificationParameters).toEqual([CONTACT, 'USD', '12345']);
    // The request unknown: its amount is "".
    expect(cb(msg({ type: 'paymentDeclined' })).notificationParameters).toEqual([CONTACT, '', '']);
  });
});

describe('receivedCallback common fields', () => {
  it('status reply, broadcast and waitingMessage come from the message', () => {
    const p = cb(msg({ type: 'text', text: 'lindo!' }, { isStatusReply: true }));
    expect(p).toMatchObject({ isStatusReply: true, broadcast: false, waitingMessage: false });
    const story = cb(msg({ type: 'image', media: IMG }, { chatJid: 'status@broadcast', broadcast: true }));
    expect(story).toMatchObject({ isStatusReply: false, broadcast: true, phone: 'status@broadcast' });
    expect(p).not.toHaveProperty('viewOnce');
  });

  it('a message without content is a waiting message (top-level viewOnce, no content object)', () => {
    const waiting = { ...msg({ type: 'text', text: '' }, { viewOnce: true }), content: undefined } as unknown as IncomingMessage;
    const p = cb(waiting);
    expect(p).toMatchObject({ waitingMessage: true, viewOnce: true, referenceMessageId: null, type: 'ReceivedCallback' });
    expect(p).not.toHaveProperty('text');
  });

  it('content never overwrites a common field', () => {
    const common = Object.keys(cb(M.text)).filter((k) => k !== 'text' && k !== 'referenceMessageId');
    for (const [kind, m] of Object.entries(M)) {
      const p = cb(m);
      for (const k of common) expect([kind, k, p[k]]).toEqual([kind, k, cb({ ...M.text, ...m, content: M.text.content })[k]]);
    }
  });
});

// ---- The docs' examples, key by key ------------------------------------------------------

interface Example {
  type: string;
  variant: string;
  seed: string;
  seedLine: number;
  example: Record<string, unknown>;
}

const catalogue = JSON.parse(readFileSync(new URL('../fixtures/catalogue.json', import.meta.url), 'utf8')) as { webhooks: Example[] };

/** Catalogue variant → the message whose payload should carry that variant. */
const BY_VARIANT: Record<string, IncomingMessage> = {
  text: M.link, // the text example lists the optional link-preview keys
  'text-ad': M.adText,
  'template-document': M.templateDocument,
  'template-location': M.templateLocation,
  cart: M.cart,
  'payment-request': M.paymentRequest,
  'payment-sent': M.paymentSent,
  'template-text': M.template,
  'template-image': M.templateImage,
  'template-video': M.templateVideo,
  'template-button': M.otp,
  reaction: M.reaction,
  'button-response': M.buttonReply,
  'list-response': M.listReply,
  'pix-key': M.pix,
  'buttons-image': M.buttonsImage,
  'buttons-video': M.buttonsVideo,
  carousel: M.carousel,
  image: M.image,
  audio: M.audio,
  video: M.video,
  gif: M.gif,
  ptv: M.ptv,
  contact: M.contact,
  document: M.document,
  location: M.location,
  sticker: M.sticker,
  product: M.product,
  poll: M.poll,
  'poll-vote': M.pollVote,
  order: M.order,
  'order-update': M.orderUpdate,
  'newsletter-admin-invite': M.newsletterAdminInvite,
  'pin-message': M.pin,
  event: M.event,
  'event-response': M.eventResponse,
};

// The docs' text example spells `descritpion`; the ad example and real deliveries use `description`.
const KEY_ALIASES: Record<string, string> = { descritpion: 'description' };
// Top-level objects that are not the content variant.
const NOT_VARIANT = new Set(['externalAdReply', 'notificationParameters']);

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Every key of `doc` exists in `ours` with the same JSON type; a documented null accepts any type. */
function sameShape(doc: unknown, ours: unknown, path: string, problems: string[]): void {
  if (doc === null) return;
  if (jsonType(doc) !== jsonType(ours)) {
    problems.push(`${path}: documented ${jsonType(doc)}, got ${jsonType(ours)}`);
    return;
  }
  if (Array.isArray(doc)) {
    const arr = ours as unknown[];
    if (doc.length > 0 && arr.length === 0) problems.push(`${path}: documented a non-empty array, got []`);
    doc.forEach((d, i) => i < arr.length && sameShape(d, arr[i], `${path}[${i}]`, problems));
    return;
  }
  if (typeof doc === 'object') {
    const o = ours as Record<string, unknown>;
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      const key = KEY_ALIASES[k] ?? k;
      if (!(key in o)) problems.push(`${path}.${key}: missing`);
      else sameShape(v, o[key], `${path}.${key}`, problems);
    }
  }
}

const documented = catalogue.webhooks.filter((w) => w.type === 'ReceivedCallback' && w.variant in BY_VARIANT);

describe('receivedCallback against the documented examples', () => {
  it('the catalogue has an example for every variant we map (the walk below is not empty)', () => {
    const seen = new Set(documented.map((w) => w.variant));
    expect([...Object.keys(BY_VARIANT)].filter((v) => !seen.has(v))).toEqual([]);
    expect(documented.length).toBeGreaterThanOrEqual(64);
  });

  it.each(documented.map((w) => [`${w.variant} (${w.seed}:${w.seedLine})`, w] as const))('%s', (_name, w) => {
    const ours = cb(BY_VARIANT[w.variant]);
    const keys = Object.keys(w.example).filter((k) => !NOT_VARIANT.has(k) && w.example[k] !== null && typeof w.example[k] === 'object');
    expect(keys).toHaveLength(1);
    const problems: string[] = [];
    sameShape(w.example[keys[0]], ours[keys[0]], keys[0], problems);
    // The ad example's externalAdReply sits beside the text.
    if (w.example.externalAdReply) sameShape(w.example.externalAdReply, ours.externalAdReply, 'externalAdReply', problems);
    expect(problems).toEqual([]);
  });

  it('the text-ad example is walked for its externalAdReply too', () => {
    const ad = documented.filter((w) => w.variant === 'text-ad');
    expect(ad.length).toBeGreaterThan(0);
    for (const w of ad) expect(Object.keys(w.example.externalAdReply as object).length).toBeGreaterThanOrEqual(11);
  });

  it('the declined payment request examples: notification and [phone, currency, value] as strings', () => {
    const examples = catalogue.webhooks.filter((w) => w.variant === 'notification:PAYMENT_ACTION_REQUEST_DECLINED' || w.variant === 'payment-request-notification');
    expect(examples.length).toBe(2);
    const ours = cb(M.paymentDeclined);
    for (const w of examples) {
      const problems: string[] = [];
      sameShape({ notification: w.example.notification ?? null, notificationParameters: w.example.notificationParameters }, ours, 'payload', problems);
      expect(problems).toEqual([]);
      // Same request, same amount as the docs' example: value 1 BRL is "1000".
      expect((ours.notificationParameters as string[]).slice(1)).toEqual((w.example.notificationParameters as string[]).slice(1));
      if (w.example.notification) expect(ours.notification).toBe(w.example.notification);
    }
  });

  it('the waiting-message examples: waitingMessage and the top-level viewOnce', () => {
    const examples = catalogue.webhooks.filter((w) => w.variant === 'waiting-message');
    expect(examples.length).toBeGreaterThan(0);
    const ours = cb({ ...msg({ type: 'text', text: '' }, { viewOnce: true }), content: undefined } as unknown as IncomingMessage);
    for (const w of examples) {
      const problems: string[] = [];
      sameShape({ waitingMessage: w.example.waitingMessage, viewOnce: w.example.viewOnce }, ours, 'payload', problems);
      expect(problems).toEqual([]);
      expect(ours.waitingMessage).toBe(w.example.waitingMessage);
    }
  });
});

describe('media an engine could not keep', () => {
  it('has a null URL instead of a link that would answer 404', () => {
    const urls = { url: (r: { id: string }) => `http://127.0.0.1:3000/media/${r.id}/f` };
    const inst = { id: 'I', profile_name: null, business_device: 0 } as never;
    const body = receivedCallback(
      inst,
      {
        id: 'M1', chatJid: '5511999999999@s.whatsapp.net', senderJid: '5511999999999@s.whatsapp.net', senderName: null, fromMe: false, fromApi: false,
        timestamp: 1, content: { type: 'image', media: { id: '', mimeType: 'image/jpeg', size: 10 } },
      },
      null,
      urls,
    ) as any;
    expect(body.image.imageUrl).toBeNull();
    expect(body.image.mimeType).toBe('image/jpeg');
  });
});

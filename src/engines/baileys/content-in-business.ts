// Business templates and interactive messages, received: buttons, hydrated templates, lists,
// native-flow messages (reply/URL/call/copy buttons, single select, PIX payment, carousels), and
// the replies to them. Part of content-in.ts, split off because WhatsApp has so many shapes here.
import { proto } from 'baileys';
import type { Button, ButtonsContent, CarouselCard, MediaRef, MessageContent } from '../content.js';

/** What content-in.ts lends this module to note the files a message carries. */
export interface MediaFinder {
  file(p: proto.Message.IImageMessage | proto.Message.IVideoMessage | proto.Message.IDocumentMessage, mediaType: 'image' | 'video' | 'document', topLevel?: boolean, fileName?: string): MediaRef;
  missing(mimeType: string): MediaRef;
}

const str = (v: string | null | undefined): string | undefined => (v == null || v === '' ? undefined : v);

export function clean<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as Record<string, unknown>)[k];
  return o;
}

function params(json: string | null | undefined): Record<string, unknown> {
  try {
    const v = JSON.parse(json ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A native-flow button the content model has a kind for; other kinds are dropped. */
function flowButton(b: proto.Message.InteractiveMessage.NativeFlowMessage.INativeFlowButton, index: number): Button | null {
  const p = params(b.buttonParamsJson);
  const label = s(p.display_text) ?? '';
  const id = s(p.id) ?? String(index);
  switch (b.name) {
    case 'quick_reply':
      return { id, kind: 'REPLY', label };
    case 'cta_url':
      return { id, kind: 'URL', label, url: s(p.url) ?? s(p.merchant_url) ?? '' };
    case 'cta_call':
      return { id, kind: 'CALL', label, phone: (s(p.phone_number) ?? s(p.phoneNumber) ?? '').replace(/\D/g, '') };
    case 'cta_copy':
      return { id, kind: 'COPY', label, code: s(p.copy_code) ?? '' };
    default:
      return null;
  }
}

function hydratedButtons(list: proto.IHydratedTemplateButton[] | null | undefined): Button[] {
  return (list ?? []).flatMap((b, i): Button[] => {
    if (b.quickReplyButton) return [{ id: b.quickReplyButton.id ?? String(i), kind: 'REPLY', label: b.quickReplyButton.displayText ?? '' }];
    if (b.urlButton) return [{ id: String(i), kind: 'URL', label: b.urlButton.displayText ?? '', url: b.urlButton.url ?? '' }];
    if (b.callButton) return [{ id: String(i), kind: 'CALL', label: b.callButton.displayText ?? '', phone: (b.callButton.phoneNumber ?? '').replace(/\D/g, '') }];
    return [];
  });
}

type Header = { imageMessage?: proto.Message.IImageMessage | null; videoMessage?: proto.Message.IVideoMessage | null };

function headerMedia(h: Header | null | undefined, f: MediaFinder): { image?: MediaRef; video?: MediaRef } {
  const out: { image?: MediaRef; video?: MediaRef } = {};
  if (h?.imageMessage) out.image = f.file(h.imageMessage, 'image');
  if (h?.videoMessage) out.video = f.file(h.videoMessage, 'video');
  return out;
}

/** A hydrated template's header: image, video, document or location (WhatsApp allows one). */
function templateHeader(h: proto.Message.TemplateMessage.IHydratedFourRowTemplate, f: MediaFinder): Pick<ButtonsContent, 'image' | 'video' | 'document' | 'location'> {
  const out: Pick<ButtonsContent, 'image' | 'video' | 'document' | 'location'> = headerMedia(h, f);
  const d = h.documentMessage;
  if (d) out.document = f.file(d, 'document', false, str(d.fileName) ?? str(d.title) ?? 'file');
  const l = h.locationMessage;
  if (l) {
    out.location = clean({ latitude: l.degreesLatitude ?? 0, longitude: l.degreesLongitude ?? 0, name: str(l.name), address: str(l.address), url: str(l.url) });
  }
  return out;
}

function interactive(im: proto.Message.IInteractiveMessage, f: MediaFinder): MessageContent {
  const text = im.body?.text ?? '';
  if (im.carouselMessage) {
    const cards = (im.carouselMessage.cards ?? []).map(
      (c): CarouselCard => ({
        text: c.body?.text ?? '',
        image: c.header?.imageMessage ? f.file(c.header.imageMessage, 'image') : f.missing('image/jpeg'),
        buttons: (c.nativeFlowMessage?.buttons ?? []).map(flowButton).filter((b): b is Button => b !== null),
      }),
    );
    return { type: 'carousel', text, cards };
  }
  const buttons = im.nativeFlowMessage?.buttons ?? [];
  const select = buttons.find((b) => b.name === 'single_select');
  if (select) {
    const p = params(select.buttonParamsJson);
    const sections = (Array.isArray(p.sections) ? p.sections : []) as { title?: unknown; rows?: unknown }[];
    return clean({
      type: 'list',
      text,
      title: im.header?.title ?? '',
      buttonLabel: s(p.title) ?? '',
      footer: str(im.footer?.text),
      sections: sections.map((sec) => ({
        title: s(sec.title) ?? '',
        rows: ((Array.isArray(sec.rows) ? sec.rows : []) as Record<string, unknown>[]).map((r) => clean({ id: s(r.id) ?? '', title: s(r.title) ?? '', description: s(r.description) })),
      })),
    });
  }
  const payment = buttons.find((b) => b.name === 'payment_info');
  if (payment) {
    const p = params(payment.buttonParamsJson);
    const settings = (Array.isArray(p.payment_settings) ? p.payment_settings : []) as Record<string, unknown>[];
    const pix = settings.map((x) => x.pix_static_code as Record<string, unknown> | undefined).find((x) => x && typeof x === 'object');
    if (pix) {
      return clean({
        type: 'pix',
        key: s(pix.key) ?? '',
        keyType: (s(pix.key_type) ?? '').toUpperCase(),
        merchantName: s(pix.merchant_name),
        currency: s(p.currency) ?? 'BRL',
        referenceId: s(p.reference_id) ?? '',
      });
    }
  }
  return clean({
    type: 'buttons',
    text,
    title: str(im.header?.title),
    footer: str(im.footer?.text),
    buttons: buttons.map(flowButton).filter((b): b is Button => b !== null),
    ...headerMedia(im.header, f),
  });
}


/** The business kinds this module maps; content-in.ts asks before its own switch. */
export const BUSINESS_KINDS: ReadonlySet<string> = new Set([
  'buttonsResponseMessage',
  'templateButtonReplyMessage',
  'listResponseMessage',
  'interactiveResponseMessage',
  'buttonsMessage',
  'templateMessage',
  'interactiveMessage',
  'listMessage',
]);

/** One of BUSINESS_KINDS → its content and contextInfo; null when there is nothing to show. */
export function mapBusiness(type: string, m: proto.IMessage, f: MediaFinder): { content: MessageContent; ctx: proto.IContextInfo | null } | null {
  switch (type) {
    case 'buttonsResponseMessage': {
      const r = m.buttonsResponseMessage!;
      const ctx = r.contextInfo ?? null;
      return { ctx, content: clean({ type: 'buttonReply', buttonId: r.selectedButtonId ?? '', text: r.selectedDisplayText ?? '', quotedId: str(ctx?.stanzaId) }) };
    }
    case 'templateButtonReplyMessage': {
      const r = m.templateButtonReplyMessage!;
      const ctx = r.contextInfo ?? null;
      return { ctx, content: clean({ type: 'buttonReply', buttonId: r.selectedId ?? '', text: r.selectedDisplayText ?? '', quotedId: str(ctx?.stanzaId) }) };
    }
    case 'listResponseMessage': {
      const r = m.listResponseMessage!;
      const ctx = r.contextInfo ?? null;
      const content = clean({
        type: 'listReply',
        rowId: r.singleSelectReply?.selectedRowId ?? '',
        title: r.title ?? '',
        text: str(r.description) ?? r.title ?? '',
        quotedId: str(ctx?.stanzaId),
      } as const);
      return { content, ctx };
    }
    case 'interactiveResponseMessage': {
      const r = m.interactiveResponseMessage!;
      const ctx = r.contextInfo ?? null;
      const p = params(r.nativeFlowResponseMessage?.paramsJson);
      return { ctx, content: clean({ type: 'buttonReply', buttonId: s(p.id) ?? r.nativeFlowResponseMessage?.name ?? '', text: r.body?.text ?? '', quotedId: str(ctx?.stanzaId) }) };
    }
    case 'buttonsMessage': {
      const b = m.buttonsMessage!;
      const content = clean({
        type: 'buttons',
        text: b.contentText ?? '',
        title: str(b.text),
        footer: str(b.footerText),
        buttons: (b.buttons ?? []).map((x, i): Button => ({ id: x.buttonId ?? String(i), kind: 'REPLY', label: x.buttonText?.displayText ?? '' })),
        ...headerMedia(b, f),
      } as const);
      return { content, ctx: b.contextInfo ?? null };
    }
    case 'templateMessage': {
      const t = m.templateMessage!;
      const h = t.hydratedTemplate ?? t.hydratedFourRowTemplate;
      if (!h) return null; // a template without its hydrated form: nothing to show
      const content = clean({
        type: 'buttons',
        text: h.hydratedContentText ?? '',
        title: str(h.hydratedTitleText),
        footer: str(h.hydratedFooterText),
        buttons: hydratedButtons(h.hydratedButtons),
        ...templateHeader(h, f),
        // Marks it a template: the webhook is a hydratedTemplate even with reply buttons only.
        templateId: t.templateId || h.templateId || '',
      } as const);
      return { content, ctx: t.contextInfo ?? null };
    }
    case 'interactiveMessage':
      return { ctx: m.interactiveMessage!.contextInfo ?? null, content: interactive(m.interactiveMessage!, f) };
    case 'listMessage': {
      const l = m.listMessage!;
      const content = clean({
        type: 'list',
        text: l.description ?? '',
        title: l.title ?? '',
        buttonLabel: l.buttonText ?? '',
        footer: str(l.footerText),
        sections: (l.sections ?? []).map((sec) => ({
          title: sec.title ?? '',
          rows: (sec.rows ?? []).map((r) => clean({ id: r.rowId ?? '', title: r.title ?? '', description: str(r.description) })),
        })),
      } as const);
      return { content, ctx: l.contextInfo ?? null };
    }
    default:
      return null;
  }
}

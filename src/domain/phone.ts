// Phone and chat-id normalisation at the edge. Inside OpenZap every chat is a jid:
//   5511999999999            -> 5511999999999@s.whatsapp.net
//   120363019502650977-group -> 120363019502650977@g.us
//   ...@g.us, ...@lid, ...@newsletter, ...@s.whatsapp.net are kept.
import { badRequest } from './errors.js';

const USER = '@s.whatsapp.net';

export function toJid(input: string | number, field = 'phone'): string {
  const raw = String(input).trim();
  if (raw === '') throw badRequest(`${field} is empty`, 'invalid-phone');
  const group = /^([0-9]{5,40}(?:-[0-9]{5,20})?)-group$/.exec(raw);
  if (group) return `${group[1]}@g.us`;
  const jid = /^([0-9]{5,40}(?:-[0-9]{5,20})?)@(g\.us|s\.whatsapp\.net|lid|newsletter|broadcast)$/.exec(raw);
  if (jid) return raw;
  const digits = raw.replace(/^\+/, '');
  if (/^[0-9]{7,20}$/.test(digits)) return digits + USER;
  throw badRequest(
    `${field} "${raw.slice(0, 60)}" is not a phone number (digits with country code), a group id (<id>-group) or a jid`,
    'invalid-phone',
  );
}

/** Z-API's "phone" for a jid: digits for users, <id>-group for groups, the jid itself otherwise. */
export function fromJid(jid: string): string {
  if (jid.endsWith(USER)) return jid.slice(0, -USER.length).split(':')[0];
  if (jid.endsWith('@g.us')) return jid.slice(0, -'@g.us'.length) + '-group';
  return jid;
}

export const isGroupJid = (jid: string) => jid.endsWith('@g.us');
export const isNewsletterJid = (jid: string) => jid.endsWith('@newsletter');

/** A bare phone (digits, country code first) or a 4xx. */
export function toPhoneDigits(input: string, field = 'phone'): string {
  const digits = String(input).trim().replace(/^\+/, '');
  if (!/^[0-9]{7,20}$/.test(digits)) throw badRequest(`${field} must be digits with country code`, 'invalid-phone');
  return digits;
}

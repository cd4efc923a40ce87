// The vCard of a contact card, as WhatsApp clients write it (vCard 3.0).
import type { ContactCard } from '../engines/content.js';

// vCard 3.0 text values escape backslash, comma, semicolon and newlines.
const vEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/([,;])/g, '\\$1').replace(/\r?\n/g, '\\n');

/**
 * The vCard WhatsApp clients send for a contact card, built from its fields (the card's own
 * vcard is not looked at): TEL with waid, so "Message" works, as in the docs' example.
 */
export function vCardOf(c: ContactCard): string {
  const name = vEscape(c.name);
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `N:;${name};;;`, `FN:${name}`];
  for (const p of c.phones) lines.push(`TEL;type=CELL;type=VOICE;waid=${p}:+${p}`);
  if (c.businessDescription) lines.push(`X-WA-BIZ-DESCRIPTION:${vEscape(c.businessDescription)}`);
  lines.push('END:VCARD');
  return lines.join('\n');
}

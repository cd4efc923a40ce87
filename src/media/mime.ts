// MIME types: sniffed from the first bytes (what the file is), mapped to and from file
// extensions (what it is called). The sniffed type wins over a server's Content-Type.

const EXT_TO_MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  '3gp': 'video/3gpp',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  wav: 'audio/wav',
  amr: 'audio/amr',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  txt: 'text/plain',
  csv: 'text/csv',
  html: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
  zip: 'application/zip',
  rar: 'application/vnd.rar',
  '7z': 'application/x-7z-compressed',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  apk: 'application/vnd.android.package-archive',
  vcf: 'text/vcard',
  ics: 'text/calendar',
};

const MIME_TO_EXT: Record<string, string> = {};
for (const [ext, mime] of Object.entries(EXT_TO_MIME)) MIME_TO_EXT[mime] ??= ext;

/** The MIME type for a file extension ("pdf", ".PDF"), or application/octet-stream. */
export function mimeForExtension(ext: string): string {
  return EXT_TO_MIME[ext.replace(/^\./, '').toLowerCase()] ?? 'application/octet-stream';
}

/** A file extension for a MIME type (without the dot), or "bin". */
export function extensionForMime(mime: string): string {
  return MIME_TO_EXT[baseMime(mime)] ?? 'bin';
}

/** "audio/ogg; codecs=opus" → "audio/ogg". */
export function baseMime(mime: string): string {
  return mime.split(';')[0].trim().toLowerCase();
}

const ascii = (b: Buffer, at: number, s: string) => b.length >= at + s.length && b.toString('latin1', at, at + s.length) === s;

/** What the bytes are, for the formats WhatsApp media uses; null when not recognised. */
export function sniffMime(b: Buffer): string | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (ascii(b, 0, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'audio/wav';
  // BMP: "BM", then the DIB header size at 14 (one of the known sizes), not just any text starting "BM".
  if (ascii(b, 0, 'BM') && b.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(b.readUInt32LE(14))) return 'image/bmp';
  if (ascii(b, 0, '%PDF-')) return 'application/pdf';
  if (ascii(b, 0, 'OggS')) return 'audio/ogg';
  // MP3: an ID3 tag, or a frame sync whose layer is set; FF FE is the UTF-16LE byte-order mark, not audio.
  if (ascii(b, 0, 'ID3') || (b.length >= 3 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0 && b[1] !== 0xfe && b[1] !== 0xff && b[2] >> 4 !== 0x0f))
    return 'audio/mpeg';
  if (ascii(b, 0, '#!AMR')) return 'audio/amr';
  if (ascii(b, 4, 'ftyp')) {
    const brand = b.toString('latin1', 8, 12);
    if (brand.startsWith('M4A')) return 'audio/mp4';
    if (brand.startsWith('3gp')) return 'video/3gpp';
    if (brand === 'qt  ') return 'video/quicktime';
    if (['heic', 'heix', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'image/heic';
    if (brand === 'avif' || brand === 'avis') return 'image/avif';
    if (/^(isom|iso\d|mp4\d|mp41|mp42|avc1|dash|M4V |M4VP|f4v |mmp4|MSNV|NDAS|XAVC)/.test(brand)) return 'video/mp4';
    return null; // another ISO media file: let the source or the name tell
  }
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video/webm';
  return null;
}

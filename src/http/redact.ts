// Instance URLs carry the token (/instances/{id}/token/{token}/…): it must never reach a log
// line or an error body. The router decodes percent-escapes before matching, so
// "/%74oken/SECRET/status" is served like "/token/SECRET/status": redact by the decoded
// segment, not by the raw spelling.

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The URL with the segment after every "token" segment, and any *token* query value, replaced by "***". */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const path = cut === -1 ? url : url.slice(0, cut);
  const rest = cut === -1 ? '' : url.slice(cut);
  const segments = path.split('/');
  for (let i = 0; i < segments.length - 1; i++) {
    if (decoded(segments[i]).toLowerCase() === 'token') segments[i + 1] = '***';
  }
  return segments.join('/') + rest.replace(/([?&][^=&#]*token[^=&#]*=)[^&#]*/gi, '$1***');
}

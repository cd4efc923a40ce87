// Authentication hooks. Instance routes: id + token in the URL, then the account's IP
// allow-list and Client-Token (error bodies as Z-API documents them), then expiry.
// Partner routes: Authorization: Bearer <partner token>. Comparisons are constant-time
// and no token is ever logged (see the request serializer in app.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { INSTANCE_ID_RE, safeEqual } from '../domain/ids.js';
import { isExpired } from '../domain/instances.js';

const unknownInstance = () =>
  new ApiError(404, 'instance-not-found', 'No instance matches this id and token.');

export async function instanceAuth(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const { instanceId, token } = req.params as { instanceId?: string; token?: string };
  if (!instanceId || !token || !INSTANCE_ID_RE.test(instanceId)) throw unknownInstance();
  const { instances, accounts } = req.server.oz;
  const inst = await instances.get(instanceId);
  // Same answer for an unknown id and a wrong token: ids cannot be probed.
  if (!inst || !safeEqual(inst.token, token)) throw unknownInstance();
  const account = await accounts.get(inst.account_id);
  if (!account) throw unknownInstance();

  const allow = JSON.parse(account.ip_allowlist) as string[];
  if (allow.length > 0 && !allow.includes(normaliseIp(req.ip))) {
    throw new ApiError(403, `${normaliseIp(req.ip)} not allowed`, 'This IP address is not in the account allow-list.');
  }
  if (account.client_token_enabled === 1 && account.client_token) {
    const given = req.headers['client-token'];
    const value = Array.isArray(given) ? given[0] : given;
    if (!value || !safeEqual(value, account.client_token)) {
      // Z-API answers {"error":"null not allowed"} for a missing token; a wrong one is not echoed back.
      throw new ApiError(401, value ? 'client-token not allowed' : 'null not allowed', 'The Client-Token header is missing or wrong.');
    }
  }
  if (isExpired(inst)) {
    const reason = inst.payment_status === 'CANCELED' ? 'was cancelled' : 'trial ended';
    throw new ApiError(
      402,
      'instance-expired',
      `This instance stopped on ${new Date(inst.due_at!).toISOString()} (${reason}). Its data is kept; subscribe it through the partner API to use it again.`,
    );
  }
  req.instance = inst;
}

export async function partnerAuth(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new ApiError(401, 'unauthorized', 'Send the partner token as "Authorization: Bearer <token>".');
  const account = await req.server.oz.accounts.byPartnerToken(m[1]);
  if (!account) throw new ApiError(401, 'unauthorized', 'Unknown partner token.');
  req.account = account;
}

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

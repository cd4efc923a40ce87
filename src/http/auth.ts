// Authentication hooks. Instance routes: id + token in the URL, then the account's IP
// allow-list and Client-Token (error bodies as Z-API documents them), then expiry.
// Partner routes: Authorization: Bearer <partner token>. Comparisons are constant-time
// and no token is ever logged (see the request serializer in app.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { INSTANCE_ID_RE, safeEqual } from '../domain/ids.js';
import { isExpired } from '../domain/instances.js';
import type { AccountRow, InstanceRow } from '../store/schema.js';

const unknownInstance = () =>
  new ApiError(404, 'instance-not-found', 'No instance matches this id and token.');

/**
 * onRequest hook of the instance routes. A callback hook that answers synchronously when
 * the instance and its account are cached (every request after the first), since it runs
 * on every call of the API.
 */
export function instanceAuth(req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const { instanceId, token } = req.params as { instanceId?: string; token?: string };
  if (!instanceId || !token || !INSTANCE_ID_RE.test(instanceId)) return done(unknownInstance());
  const { instances, accounts } = req.server.oz;
  const inst = instances.cached(instanceId.toUpperCase());
  const account = inst && accounts.cached(inst.account_id);
  if (inst && account) return done(admitOrError(req, token, inst, account));
  void (async () => {
    const inst = await instances.get(instanceId);
    return admitOrError(req, token, inst, inst && (await accounts.get(inst.account_id)));
  })().then(done, done);
}

/** Undefined when the request may go on (req.instance set), else the error to answer. */
function admitOrError(req: FastifyRequest, token: string, inst: InstanceRow | undefined, account: AccountRow | undefined): ApiError | undefined {
  // Same answer for an unknown id and a wrong token: ids cannot be probed.
  if (!inst || !safeEqual(inst.token, token)) return unknownInstance();
  if (!account) return unknownInstance();

  const allow = allowList(account);
  if (allow.length > 0 && !allow.includes(normaliseIp(req.ip))) {
    return new ApiError(403, `${normaliseIp(req.ip)} not allowed`, 'This IP address is not in the account allow-list.');
  }
  if (account.client_token_enabled === 1 && account.client_token) {
    const given = req.headers['client-token'];
    const value = Array.isArray(given) ? given[0] : given;
    if (!value || !safeEqual(value, account.client_token)) {
      // Z-API answers {"error":"null not allowed"} for a missing token; a wrong one is not echoed back.
      return new ApiError(401, value ? 'client-token not allowed' : 'null not allowed', 'The Client-Token header is missing or wrong.');
    }
  }
  if (isExpired(inst)) {
    const reason = inst.payment_status === 'CANCELED' ? 'was cancelled' : 'trial ended';
    return new ApiError(
      402,
      'instance-expired',
      `This instance stopped on ${new Date(inst.due_at!).toISOString()} (${reason}). Its data is kept; subscribe it through the partner API to use it again.`,
    );
  }
  req.instance = inst;
  return undefined;
}

/** The account's IP allow-list, parsed once per cached row (a changed account is a new row). */
const allowLists = new WeakMap<AccountRow, string[]>();
function allowList(account: AccountRow): string[] {
  let list = allowLists.get(account);
  if (!list) allowLists.set(account, (list = JSON.parse(account.ip_allowlist) as string[]));
  return list;
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

// Instance area (zapi-reference.txt "Instance"): connection (QR, phone code, restart,
// disconnect, status), device and instance data, settings and the WhatsApp profile.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import QRCode from 'qrcode';
import { ApiError, conflict } from '../../domain/errors.js';
import { toPhoneDigits } from '../../domain/phone.js';
import { checkUrl } from '../../net/guard.js';
import type { InstanceRow, InstanceUpdate } from '../../store/schema.js';
import type { WhatsAppEngine } from '../../engines/engine.js';
import type { AppContext } from '../context.js';
import { BooleanValue, StringValue, ValueTrue, withErrors } from '../schemas.js';

const statusError = (status: string, hasSession: boolean) =>
  status === 'connected' ? 'You are already connected.' : hasSession ? 'You need to restore the session.' : 'You are not connected.';

/** The fields of GET /me (zapi-reference.txt "Instance data"), plus the engine. */
export function instanceData(inst: InstanceRow, connected: boolean) {
  return {
    id: inst.id,
    token: inst.token,
    name: inst.name,
    due: inst.due_at,
    connected,
    paymentStatus: inst.payment_status,
    created: new Date(inst.created_at).toISOString(),
    connectedCallbackUrl: inst.connected_url ?? '',
    deliveryCallbackUrl: inst.delivery_url ?? '',
    disconnectedCallbackUrl: inst.disconnected_url ?? '',
    messageStatusCallbackUrl: inst.message_status_url ?? '',
    presenceChatCallbackUrl: inst.presence_url ?? '',
    receivedCallbackUrl: inst.received_url ?? '',
    receivedAndDeliveryCallbackUrl: inst.notify_sent_by_me === 1 ? (inst.received_url ?? '') : '',
    receiveCallbackSentByMe: inst.notify_sent_by_me === 1,
    callRejectAuto: inst.call_reject_auto === 1,
    callRejectMessage: inst.call_reject_message ?? '',
    autoReadMessage: inst.auto_read_message === 1,
    autoReadStatus: inst.auto_read_status === 1,
    initialDataCallbackUrl: '',
    middleware: inst.middleware,
    engine: inst.engine,
    sandbox: inst.engine === 'sandbox',
  };
}

async function requireEngine(oz: AppContext, inst: InstanceRow): Promise<WhatsAppEngine> {
  const engine = oz.engines.engine(inst.id) ?? (await oz.engines.start(inst));
  if (!engine) throw new ApiError(409, 'engine-stopped', 'The instance engine is not running.');
  return engine;
}

function requireConnected(engine: WhatsAppEngine): void {
  if (engine.state().status !== 'connected') throw new ApiError(409, 'not-connected', 'You are not connected.');
}

export const instanceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const oz = app.oz;
  const tags = ['instance'];

  app.get('/status', { schema: { tags } }, async (req) => {
    const engine = oz.engines.engine(req.instance.id);
    const st = engine?.state() ?? { status: 'disconnected', hasSession: false, reason: 'Engine not running.', phone: null };
    const connected = st.status === 'connected';
    return {
      connected,
      error: statusError(st.status, st.hasSession),
      smartphoneConnected: connected,
      session: st.status,
      reason: st.reason,
      engine: req.instance.engine,
    };
  });

  async function currentQr(inst: InstanceRow): Promise<string | { connected: true }> {
    const engine = await requireEngine(oz, inst);
    if (engine.state().status === 'connected') return { connected: true };
    const qr = await engine.qr();
    if (!qr) {
      const why = (engine.state().reason ?? 'the engine is still starting').replace(/\.\s*$/, '');
      throw new ApiError(409, 'qr-unavailable', `No QR code available yet: ${why}. Try again in a few seconds.`);
    }
    return qr;
  }

  app.get('/qr-code', { schema: { tags } }, async (req) => {
    const qr = await currentQr(req.instance);
    return typeof qr === 'string' ? { value: qr, connected: false } : qr;
  });

  app.get('/qr-code/image', { schema: { tags } }, async (req) => {
    const qr = await currentQr(req.instance);
    if (typeof qr !== 'string') return qr;
    return { value: await QRCode.toDataURL(qr, { margin: 2, width: 264 }), connected: false };
  });

  app.get(
    '/phone-code/:phone',
    { schema: { tags, params: Type.Object({ instanceId: Type.String(), token: Type.String(), phone: Type.String({ maxLength: 32 }) }) } },
    async (req) => {
      const phone = toPhoneDigits(req.params.phone);
      const engine = await requireEngine(oz, req.instance);
      if (engine.state().status === 'connected') throw conflict('You are already connected.', 'already-connected');
      return { code: await engine.pairingCode(phone) };
    },
  );

  app.get('/restart', { schema: { tags, response: withErrors({ 200: ValueTrue }) } }, async (req) => {
    const engine = await requireEngine(oz, req.instance);
    await engine.restart();
    return { value: true };
  });

  app.get('/disconnect', { schema: { tags, response: withErrors({ 200: ValueTrue }) } }, async (req) => {
    const engine = await requireEngine(oz, req.instance);
    if (!engine.state().hasSession) throw new ApiError(409, 'not-connected', 'You are not connected.');
    await engine.logout();
    return { value: true };
  });

  app.get('/device', { schema: { tags } }, async (req) => {
    const engine = await requireEngine(oz, req.instance);
    requireConnected(engine);
    const d = await engine.device();
    return {
      phone: d.phone ?? '',
      imgUrl: d.imgUrl ?? req.instance.profile_picture ?? '',
      name: d.name ?? req.instance.profile_name ?? '',
      device: { sessionName: req.instance.session_name ?? d.sessionName, device_model: d.deviceModel },
      originalDevice: d.platform,
      sessionId: 0,
      // A sandbox device is whatever the instance was created as (businessDevice); a real one reports its platform.
      isBusiness: req.instance.engine === 'sandbox' ? req.instance.business_device === 1 : d.isBusiness,
      engine: req.instance.engine,
      sandbox: req.instance.engine === 'sandbox',
    };
  });

  app.get('/me', { schema: { tags } }, async (req) => {
    const connected = oz.engines.engine(req.instance.id)?.state().status === 'connected';
    return instanceData(req.instance, connected);
  });

  const setting = (path: string, schema: ReturnType<typeof StringValue> | ReturnType<typeof BooleanValue>, toPatch: (v: never) => InstanceUpdate) =>
    app.put(path, { schema: { tags, body: schema, response: withErrors({ 200: ValueTrue }) } }, async (req) => {
      await oz.instances.update(req.instance.id, toPatch((req.body as { value: never }).value));
      return { value: true };
    });

  setting('/update-name', StringValue('New name for the instance', { minLength: 1, maxLength: 200 }), (v: string) => ({ name: v }));
  setting('/update-auto-read-message', BooleanValue('Mark received messages as read'), (v: boolean) => ({ auto_read_message: v ? 1 : 0 }));
  setting('/update-auto-read-status', BooleanValue('Mark statuses as seen'), (v: boolean) => ({ auto_read_status: v ? 1 : 0 }));
  setting('/update-call-reject-auto', BooleanValue('Reject incoming calls'), (v: boolean) => ({ call_reject_auto: v ? 1 : 0 }));
  setting('/update-call-reject-message', StringValue('Message sent after rejecting a call', { maxLength: 1000 }), (v: string) => ({
    call_reject_message: v === '' ? null : v,
  }));

  // The WhatsApp profile of the connected number: changed through the engine, then remembered.
  app.put('/profile-name', { schema: { tags, body: StringValue('Profile name', { minLength: 1, maxLength: 25 }), response: withErrors({ 200: ValueTrue }) } }, async (req) => {
    const engine = await requireEngine(oz, req.instance);
    requireConnected(engine);
    await engine.profile.setName(req.body.value);
    await oz.instances.update(req.instance.id, { profile_name: req.body.value });
    return { value: true };
  });

  app.put(
    '/profile-description',
    { schema: { tags, body: StringValue('Profile description ("About")', { maxLength: 139 }), response: withErrors({ 200: ValueTrue }) } },
    async (req) => {
      const engine = await requireEngine(oz, req.instance);
      requireConnected(engine);
      await engine.profile.setDescription(req.body.value);
      await oz.instances.update(req.instance.id, { profile_description: req.body.value });
      return { value: true };
    },
  );

  app.put('/profile-picture', { schema: { tags, body: StringValue('Image URL', { minLength: 1 }), response: withErrors({ 200: ValueTrue }) } }, async (req) => {
    const url = checkUrl(req.body.value, { allowHttp: true, allowPrivate: oz.config.allowPrivateUrls }, 'value').toString();
    const engine = await requireEngine(oz, req.instance);
    requireConnected(engine);
    await engine.profile.setPicture(url);
    await oz.instances.update(req.instance.id, { profile_picture: url });
    return { value: true };
  });
};

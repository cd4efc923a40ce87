// Instance area (zapi-reference.txt "Instance"): status, QR code (text and image), phone
// pairing code, restart, disconnect, device, instance data (/me), settings and profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/http.js';
import { expectError } from './expect.js';

/** GET /me response fields listed by catalogue.json ("Instance data"). */
const ME_FIELDS = [
  'id', 'token', 'name', 'due', 'connected', 'paymentStatus', 'created', 'connectedCallbackUrl', 'deliveryCallbackUrl',
  'disconnectedCallbackUrl', 'messageStatusCallbackUrl', 'presenceChatCallbackUrl', 'receivedCallbackUrl',
  'receiveCallbackSentByMe', 'callRejectAuto', 'callRejectMessage', 'autoReadMessage', 'initialDataCallbackUrl',
];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('instance routes', () => {
  let server: TestServer;
  let hooks: WebhookReceiver;
  let phoneSeq = 0;
  const nextPhone = () => `55003000${String(++phoneSeq).padStart(5, '0')}`;

  beforeAll(async () => {
    hooks = await new WebhookReceiver().start();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    await hooks?.stop();
  });

  const typesFor = (id: string) => hooks.deliveries.filter((d) => d.body?.instanceId === id).map((d) => d.body.type as string);

  it('reports the status: not connected before pairing, connected after', async () => {
    const inst = await server.createInstance();
    const before = await inst.call('GET', '/status');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ connected: false, error: 'You are not connected.', smartphoneConnected: false });
    await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
    const after = await inst.call('GET', '/status');
    expect(after.body).toMatchObject({ connected: true, error: 'You are already connected.', smartphoneConnected: true });
  });

  it('gives the QR code as text and as a PNG data URL, and {connected: true} once paired', async () => {
    const inst = await server.createInstance();
    const text = await inst.call('GET', '/qr-code');
    expect(text.status).toBe(200);
    expect(text.body.value).toEqual(expect.any(String));
    expect(text.body.value.length).toBeGreaterThan(10);
    // Stable while waiting for the scan.
    expect((await inst.call('GET', '/qr-code')).body.value).toBe(text.body.value);

    const image = await inst.call('GET', '/qr-code/image');
    expect(image.status).toBe(200);
    const m = /^data:image\/png;base64,([A-Za-z0-9+/]+=*)$/.exec(image.body.value);
    expect(m).not.toBeNull();
    const png = Buffer.from(m![1], 'base64');
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBeGreaterThan(100); // a scannable width

    await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
    expect((await inst.call('GET', '/qr-code')).body).toEqual({ connected: true });
    expect((await inst.call('GET', '/qr-code/image')).body).toEqual({ connected: true });
  });

  it('gives an 8-character phone pairing code; 400 for a bad phone, 409 once connected', async () => {
    const inst = await server.createInstance();
    const res = await inst.call('GET', '/phone-code/5511999999999');
    expect(res.status).toBe(200);
    expect(res.body.code).toMatch(/^[0-9A-Z]{8}$/);
    expect((await inst.call('GET', '/phone-code/+5511999999999')).status).toBe(200);
    for (const bad of ['abc', '55119999x9999', '123', '1'.repeat(25), '%20']) {
      expectError(await inst.call('GET', `/phone-code/${bad}`), 400);
    }
    await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
    expectError(await inst.call('GET', '/phone-code/5511999999999'), 409, 'already-connected');
  });

  it('restart keeps a paired instance connected: ConnectedCallback again, no DisconnectedCallback', async () => {
    const inst = await server.pairedInstance(`${hooks.url}/restart`, nextPhone());
    await waitFor(() => typesFor(inst.id).includes('ConnectedCallback'), 5000, 'first ConnectedCallback');

    const res = await inst.call('GET', '/restart');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: true });
    expect((await inst.call('GET', '/status')).body).toMatchObject({ connected: true });
    await waitFor(() => typesFor(inst.id).filter((t) => t === 'ConnectedCallback').length === 2, 5000, 'second ConnectedCallback');
    expect(typesFor(inst.id)).not.toContain('DisconnectedCallback');
    // The outbox agrees (nothing waiting to be delivered either).
    const recorded = (await inst.call('GET', '/webhooks/deliveries')).body.content.map((d: any) => d.type);
    expect(recorded).not.toContain('DisconnectedCallback');
    // Still sends.
    expect((await inst.call('POST', '/send-text', { phone: '5511987654321', message: 'after restart' })).status).toBe(200);
  });

  it('restart of an unpaired instance gives a fresh QR code', async () => {
    const inst = await server.createInstance();
    const qr = (await inst.call('GET', '/qr-code')).body.value;
    expect((await inst.call('GET', '/restart')).body).toEqual({ value: true });
    const again = await inst.call('GET', '/qr-code');
    expect(again.body.value).toEqual(expect.any(String));
    expect(again.body.value).not.toBe(qr);
  });

  it('disconnect logs out: DisconnectedCallback, not connected, QR available again', async () => {
    const inst = await server.pairedInstance(`${hooks.url}/disconnect`, nextPhone());
    const res = await inst.call('GET', '/disconnect');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: true });
    const disc = await waitFor(() => hooks.of('DisconnectedCallback', (b) => b.instanceId === inst.id)[0], 5000, 'DisconnectedCallback');
    expect(disc.body).toMatchObject({ type: 'DisconnectedCallback', disconnected: true, instanceId: inst.id });
    expect((await inst.call('GET', '/status')).body).toMatchObject({ connected: false, smartphoneConnected: false, error: 'You are not connected.' });
    expect((await inst.call('GET', '/qr-code')).body.value).toEqual(expect.any(String));
    expect((await inst.call('GET', '/qr-code/image')).body.value).toMatch(/^data:image\/png;base64,/);
    expectError(await inst.call('GET', '/device'), 409);
    // Nothing left to log out.
    expectError(await inst.call('GET', '/disconnect'), 409, 'not-connected');
    // And it pairs again.
    expect((await inst.call('POST', '/sandbox/pair', {})).status).toBe(200);
    expect((await inst.call('GET', '/status')).body.connected).toBe(true);
  });

  it('describes the connected device with the documented fields; 409 when not connected', async () => {
    const created = await server.createInstance({ sessionName: 'My CRM', businessDevice: true });
    expectError(await created.call('GET', '/device'), 409, 'not-connected');
    const phone = nextPhone();
    await created.call('POST', '/sandbox/pair', { phone });
    const res = await created.call('GET', '/device');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      phone,
      imgUrl: expect.any(String),
      name: expect.any(String),
      device: { sessionName: 'My CRM', device_model: expect.any(String) },
      originalDevice: expect.any(String),
      sessionId: expect.any(Number),
      isBusiness: true,
      sandbox: true,
    });
    // Without a sessionName the engine's own is shown; not created as business → false.
    const plain = await server.pairedInstance(undefined, nextPhone());
    const plainDevice = (await plain.call('GET', '/device')).body;
    expect(plainDevice.device.sessionName).toEqual(expect.any(String));
    expect(plainDevice.isBusiness).toBe(false);
  });

  it('/me has every documented field with the documented types', async () => {
    const inst = await server.createInstance({ name: 'me-fields' });
    const res = await inst.call('GET', '/me');
    expect(res.status).toBe(200);
    for (const f of ME_FIELDS) expect(res.body, f).toHaveProperty(f);
    expect(res.body).toMatchObject({
      id: inst.id,
      token: inst.token,
      name: 'me-fields',
      due: expect.any(Number),
      connected: false,
      paymentStatus: 'TRIAL',
      connectedCallbackUrl: '',
      deliveryCallbackUrl: '',
      disconnectedCallbackUrl: '',
      messageStatusCallbackUrl: '',
      presenceChatCallbackUrl: '',
      receivedCallbackUrl: '',
      receiveCallbackSentByMe: false,
      callRejectAuto: false,
      callRejectMessage: '',
      autoReadMessage: false,
      initialDataCallbackUrl: '',
    });
    expect(new Date(res.body.created).toISOString()).toBe(res.body.created);
    await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
    expect((await inst.call('GET', '/me')).body.connected).toBe(true);
  });

  it('stores each setting ({value: true}) and shows it in /me', async () => {
    const inst = await server.createInstance();
    const put = async (route: string, value: unknown) => {
      const res = await inst.call('PUT', route, { value });
      expect(res.status, route).toBe(200);
      expect(res.body).toEqual({ value: true });
    };
    const me = async () => (await inst.call('GET', '/me')).body;

    await put('/update-name', 'Renamed instance');
    expect((await me()).name).toBe('Renamed instance');
    await put('/update-auto-read-message', true);
    expect((await me()).autoReadMessage).toBe(true);
    await put('/update-auto-read-status', true);
    expect((await me()).autoReadStatus).toBe(true);
    await put('/update-call-reject-auto', true);
    expect((await me()).callRejectAuto).toBe(true);
    await put('/update-call-reject-message', 'I cannot take calls');
    expect((await me()).callRejectMessage).toBe('I cannot take calls');

    await put('/update-auto-read-message', false);
    await put('/update-auto-read-status', false);
    await put('/update-call-reject-auto', false);
    await put('/update-call-reject-message', '');
    expect(await me()).toMatchObject({ autoReadMessage: false, autoReadStatus: false, callRejectAuto: false, callRejectMessage: '', name: 'Renamed instance' });

    expectError(await inst.call('PUT', '/update-name', { value: '' }), 400, 'validation');
    expectError(await inst.call('PUT', '/update-name', { value: 'x'.repeat(201) }), 400, 'validation');
    expect((await me()).name).toBe('Renamed instance');
  });

  it('changes the WhatsApp profile when connected; 409 when not', async () => {
    const inst = await server.createInstance();
    for (const [route, value] of [
      ['/profile-name', 'Shop'],
      ['/profile-description', 'Open 9-18'],
      ['/profile-picture', 'https://example.com/p.png'],
    ]) {
      expectError(await inst.call('PUT', route, { value }), 409, 'not-connected');
    }
    await inst.call('POST', '/sandbox/pair', { phone: nextPhone() });
    expect((await inst.call('PUT', '/profile-name', { value: 'Shop' })).body).toEqual({ value: true });
    expect((await inst.call('PUT', '/profile-description', { value: 'Open 9-18' })).body).toEqual({ value: true });
    expect((await inst.call('PUT', '/profile-picture', { value: 'https://example.com/p.png' })).body).toEqual({ value: true });
    const device = (await inst.call('GET', '/device')).body;
    expect(device).toMatchObject({ name: 'Shop' });
    expect(device.imgUrl).toBe('https://example.com/p.png');

    expectError(await inst.call('PUT', '/profile-name', { value: 'x'.repeat(26) }), 400, 'validation');
    expectError(await inst.call('PUT', '/profile-name', { value: '' }), 400, 'validation');
    expectError(await inst.call('PUT', '/profile-description', { value: 'x'.repeat(140) }), 400, 'validation');
    expect((await inst.call('GET', '/device')).body.name).toBe('Shop');
  });

  it('refuses a profile picture that is not an http(s) URL (file:, ftp:, data-less strings) with 400', async () => {
    const inst = await server.pairedInstance(undefined, nextPhone());
    for (const value of ['file:///etc/passwd', 'ftp://example.com/p.png', '/etc/passwd', 'javascript:alert(1)', 'not a url']) {
      expectError(await inst.call('PUT', '/profile-picture', { value }), 400, 'invalid-url');
    }
    expect((await inst.call('GET', '/device')).body.imgUrl).toBe('');
  });
});

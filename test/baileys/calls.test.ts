// Baileys `call` events → port 'call' events → Z-API CALL_* notifications, and auto-reject
// (call_reject_auto / call_reject_message), through the package's real event buffer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WACallEvent, WAMessage } from 'baileys';
import type { Store } from '../../src/store/db.js';
import type { CallEvent, IncomingMessage } from '../../src/engines/engine.js';
import type { InstanceRow } from '../../src/store/schema.js';
import { callNotification } from '../../src/webhooks/notifications.js';
import { EngineEventSink } from '../../src/webhooks/event-sink.js';
import type { WebhookOutbox } from '../../src/webhooks/outbox.js';
import { EngineManager } from '../../src/engines/manager.js';
import type { Instances } from '../../src/domain/instances.js';
import type { SandboxNetwork } from '../../src/engines/sandbox/network.js';
import { connected, fakeSockets, instanceRow, makeEngine, memoryMedia, ME, settle, silent, testStore, type EngineHarness, type FakeSocket } from './fake-socket.js';

const CALLER = '5511987654321@s.whatsapp.net';
const CALLER_LID = '210987654321098@lid';
const CALL_ID = 'F44E0E2011E7C784BB9A4AC11749C436';
const WHEN = new Date(1_679_661_190_000);

let store: Store;
let h: EngineHarness;
let sock: FakeSocket;

function call(status: WACallEvent['status'], o: Partial<WACallEvent> = {}): WACallEvent {
  return { chatId: CALLER, from: CALLER, id: CALL_ID, date: WHEN, offline: false, status, ...(status === 'offer' ? { isVideo: false, isGroup: false } : {}), ...o };
}

async function setup(settings: Partial<InstanceRow> = {}) {
  store = await testStore();
  const row = { ...instanceRow(), ...settings };
  h = makeEngine(store.db, { instances: { get: async () => row } });
  sock = await connected(h);
  h.events.length = 0;
}

async function emitCalls(...calls: WACallEvent[]) {
  sock.ev.emit('call', calls);
  await h.engine.idle();
  await settle();
}

const calls = () => h.events.filter((e) => e.name === 'call').map((e) => e.args as CallEvent);

afterEach(async () => {
  await h?.engine.close();
  await store?.close();
});

describe('call events', () => {
  it('an offer: the exact port event and CALL_VOICE payload; no reject when auto-reject is off', async () => {
    await setup();
    sock.ev.emit('contacts.update', [{ id: CALLER, notify: 'Maria' }]);
    await emitCalls(call('offer'));
    const expected: CallEvent = { id: CALL_ID, from: CALLER, fromName: 'Maria', isVideo: false, isGroup: false, status: 'offer', timestamp: WHEN.getTime() };
    expect(calls()).toEqual([expected]);
    expect(sock.rejectCall).not.toHaveBeenCalled();
    expect(sock.sendMessage).not.toHaveBeenCalled();
    const inst = instanceRow();
    expect(callNotification(inst, expected, ME)).toEqual({
      isStatusReply: false,
      chatLid: null,
      senderLid: null,
      connectedPhone: ME,
      waitingMessage: false,
      isEdit: false,
      isGroup: false,
      isNewsletter: false,
      instanceId: inst.id,
      messageId: CALL_ID,
      phone: '5511987654321',
      fromMe: false,
      momment: WHEN.getTime(),
      status: 'RECEIVED',
      chatName: 'Maria',
      senderPhoto: null,
      senderName: 'Maria',
      participantLid: null,
      photo: null,
      broadcast: false,
      referenceMessageId: null,
      externalAdReply: null,
      forwarded: false,
      fromApi: false,
      type: 'ReceivedCallback',
      notification: 'CALL_VOICE',
      notificationParameters: [],
      callId: CALL_ID,
    });
  });

  it('a missed call (timeout) keeps isVideo from the offer: CALL_MISSED_VIDEO; ringing/accept/terminate have no webhook', async () => {
    await setup();
    await emitCalls(call('offer', { isVideo: true }), call('ringing'), call('timeout', { isVideo: true }), call('terminate'));
    expect(calls().map((c) => [c.status, c.isVideo])).toEqual([
      ['offer', true],
      ['ringing', false],
      ['timeout', true],
      ['terminate', false],
    ]);
    const inst = instanceRow();
    expect(calls().map((c) => (callNotification(inst, c, ME) as { notification?: string } | null)?.notification ?? null)).toEqual([
      'CALL_VIDEO',
      null,
      'CALL_MISSED_VIDEO',
      null,
    ]);
    const missed = callNotification(inst, { ...calls()[2], isVideo: false }, ME)!;
    expect(missed).toMatchObject({ notification: 'CALL_MISSED_VOICE', senderName: '', chatName: '5511987654321', callId: CALL_ID });
  });

  it('a caller addressed by LID is reported with the phone (caller_pn) and the LID alongside', async () => {
    await setup();
    await emitCalls(call('offer', { from: CALLER_LID, chatId: CALLER_LID, callerPn: CALLER }));
    expect(calls()).toEqual([expect.objectContaining({ from: CALLER, fromLid: CALLER_LID })]);
    expect(callNotification(instanceRow(), calls()[0], ME)).toMatchObject({ phone: '5511987654321', senderLid: CALLER_LID, chatLid: CALLER_LID });
  });

  it('the same call state reported twice (offline replay) is handled once; plumbing states are ignored', async () => {
    await setup({ call_reject_auto: 1 });
    await emitCalls(call('offer'), call('offer'), call('relaylatency'), call('preaccept'));
    expect(calls().map((c) => c.status)).toEqual(['offer']);
    expect(sock.rejectCall).toHaveBeenCalledTimes(1);
  });
});

describe('auto-reject', () => {
  it('rejects an offer with rejectCall(id, from) and answers with call_reject_message; its echo is no received message', async () => {
    await setup({ call_reject_auto: 1, call_reject_message: 'Não atendo ligações, mande mensagem.' });
    await emitCalls(call('offer', { from: CALLER_LID, callerPn: CALLER }));
    expect(sock.rejectCall).toHaveBeenCalledWith(CALL_ID, CALLER_LID);
    expect(sock.sendMessage).toHaveBeenCalledTimes(1);
    expect(sock.sendMessage).toHaveBeenCalledWith(CALLER_LID, { text: 'Não atendo ligações, mande mensagem.' }, { messageId: expect.any(String) });
    expect(sock.rejectCall.mock.invocationCallOrder[0]).toBeLessThan(sock.sendMessage.mock.invocationCallOrder[0]);
    const sent = (await sock.sendMessage.mock.results[0].value) as WAMessage;
    expect(sent.key.id).toBe(sock.sendMessage.mock.calls[0][2]!.messageId);
    sock.ev.emit('messages.upsert', { messages: [sent], type: 'append' });
    await h.engine.idle();
    expect(h.events.filter((e) => e.name === 'message').map((e) => (e.args as IncomingMessage).id)).toEqual([]);
  });

  it('without a message only the reject; never for other call states', async () => {
    await setup({ call_reject_auto: 1, call_reject_message: '  ' });
    await emitCalls(call('offer'), call('timeout'), call('terminate'));
    expect(sock.rejectCall.mock.calls).toEqual([[CALL_ID, CALLER]]);
    expect(sock.sendMessage).not.toHaveBeenCalled();
  });

  it('off (call_reject_auto=0) even with a message set: nothing is sent', async () => {
    await setup({ call_reject_auto: 0, call_reject_message: 'x' });
    await emitCalls(call('offer'));
    expect(sock.rejectCall).not.toHaveBeenCalled();
    expect(sock.sendMessage).not.toHaveBeenCalled();
  });
});

describe('manager and sink wiring', () => {
  it('a Baileys call event reaches the outbox as a ReceivedCallback (offers and missed calls only)', async () => {
    store = await testStore();
    const inst = instanceRow();
    const added: [string, string, unknown][] = [];
    const outbox = { add: vi.fn(async (i: InstanceRow, type: string, body: unknown) => void added.push([i.id, type, body])) };
    const sockets = fakeSockets();
    const media = memoryMedia();
    const manager = new EngineManager({
      db: store.db,
      instances: { cached: () => inst, get: async () => inst } as unknown as Instances,
      network: {} as SandboxNetwork,
      media,
      sink: new EngineEventSink(outbox as unknown as WebhookOutbox, media),
      log: silent,
      onConnected: () => undefined,
      baileys: { secretKey: null, waWebVersion: null, createSocket: sockets.factory },
    });
    const engine = await manager.start(inst);
    h = { engine: engine as never, sockets, db: store.db, events: [], media };
    sockets.last.ev.emit('call', [call('offer')]);
    sockets.last.ev.emit('call', [call('ringing')]);
    sockets.last.ev.emit('call', [call('timeout', { isVideo: false })]);
    await h.engine.idle();
    await settle();
    await manager.recorded(inst.id);
    expect(added.map(([id, type, body]) => [id, type, (body as { notification: string }).notification])).toEqual([
      [inst.id, 'ReceivedCallback', 'CALL_VOICE'],
      [inst.id, 'ReceivedCallback', 'CALL_MISSED_VOICE'],
    ]);
    expect(added[0][2]).toEqual(callNotification(inst, { id: CALL_ID, from: CALLER, fromName: null, isVideo: false, isGroup: false, status: 'offer', timestamp: WHEN.getTime() }, null));
    await manager.closeAll();
  });
});

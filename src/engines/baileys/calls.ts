// Baileys `call` events → port 'call' events, and the instance's auto-reject setting
// (PUT update-call-reject-auto / update-call-reject-message): on an offer we reject the call
// with rejectCall and, when a message is set, answer the caller with it. Baileys fills
// isVideo/isGroup only on the offer and from its offer cache afterwards; a call it reports
// twice (offline replay) is handled once.
import { generateMessageIDV2, type WACallEvent, type WASocket } from 'baileys';
import type { CallStatus, EngineEmitter } from '../engine.js';
import type { InstanceRow } from '../../store/schema.js';
import { BoundedCache } from './cache.js';
import type { JidResolver } from './inbound.js';
import type { BaileysLogger } from './socket-config.js';
import { Status, type BaileysStore } from './store.js';
import type { ContactStore } from './store-contacts.js';

const STATUSES: ReadonlySet<string> = new Set<CallStatus>(['offer', 'ringing', 'timeout', 'reject', 'accept', 'terminate']);

export interface CallDeps {
  events: EngineEmitter;
  logger: BaileysLogger;
  contacts: ContactStore;
  store: BaileysStore;
  /** The instance's call settings (call_reject_auto, call_reject_message), read when a call comes in. */
  settings: () => Promise<Pick<InstanceRow, 'call_reject_auto' | 'call_reject_message'> | undefined>;
  /** Ids we send: their echo from Baileys is not a received message. */
  sent: { set(id: string, v: true): void };
}

export class CallHandler {
  private chain: Promise<void> = Promise.resolve();
  private readonly seen = new BoundedCache<true>(5_000, 10 * 60_000);

  constructor(private readonly d: CallDeps) {}

  attach(sock: WASocket, resolve: JidResolver): void {
    sock.ev.on('call', (calls) => {
      for (const call of calls) {
        this.chain = this.chain
          .then(() => this.handle(sock, resolve, call))
          .catch((err) => this.d.logger.error({ err, callId: call.id }, 'call handling failed'));
      }
    });
  }

  idle(): Promise<void> {
    return this.chain;
  }

  private async handle(sock: WASocket, resolve: JidResolver, call: WACallEvent): Promise<void> {
    if (!call.id || !call.from || !STATUSES.has(call.status)) return; // preaccept, transport, relaylatency: plumbing
    const dedupe = `${call.id}|${call.status}`;
    if (this.seen.get(dedupe)) return;
    this.seen.set(dedupe, true);
    const caller = await resolve(call.from, call.callerPn);
    const fromName = await this.d.contacts.displayName(caller.jid).catch(() => null);
    this.d.events.emit('call', {
      id: call.id,
      from: caller.jid,
      ...(caller.lid ? { fromLid: caller.lid } : {}),
      fromName,
      isVideo: call.isVideo === true,
      isGroup: call.isGroup === true,
      status: call.status as CallStatus,
      timestamp: call.date instanceof Date && !Number.isNaN(call.date.getTime()) ? call.date.getTime() : Date.now(),
    });
    if (call.status !== 'offer') return;
    const settings = await this.d.settings();
    if (settings?.call_reject_auto !== 1) return;
    await sock.rejectCall(call.id, call.from);
    const text = settings.call_reject_message?.trim();
    if (!text) return;
    const messageId = generateMessageIDV2(sock.user?.id);
    this.d.sent.set(messageId, true);
    const sent = await sock.sendMessage(call.from, { text }, { messageId });
    if (sent) await this.d.store.saveMessage(sent, true, Status.SERVER_ACK);
  }
}

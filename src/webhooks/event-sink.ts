// Engine events → outbox rows. This is the only place engine events become webhooks.
import type { Transaction } from 'kysely';
import type { Database, InstanceRow } from '../store/schema.js';
import type { ConnectionStatus, EngineEvents, IncomingMessage } from '../engines/engine.js';
import type { WebhookOutbox } from './outbox.js';
import { callNotification, notificationCallback, revokeNotification } from './notifications.js';
import {
  connectedCallback,
  disconnectedCallback,
  messageStatusCallback,
  presenceChatCallback,
  receivedCallback,
  type MediaUrls,
} from './payloads.js';

export class EngineEventSink {
  /** Per-instance chain: events are written in the order the engine emitted them (ids = lane order). */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly urls: MediaUrls,
  ) {}

  /**
   * Run `write` after the instance's previous event. The returned promise rejects if this
   * event could not be written (the caller decides what that means); the chain goes on.
   */
  private guard(write: () => Promise<void>, instanceId: string): Promise<void> {
    const prev = this.chains.get(instanceId) ?? Promise.resolve();
    const next = prev.then(write);
    const settled = next.catch(() => undefined);
    this.chains.set(instanceId, settled);
    void settled.then(() => {
      if (this.chains.get(instanceId) === settled) this.chains.delete(instanceId);
    });
    return next;
  }

  /** Connected/Disconnected webhooks only for real transitions (a restart is not a disconnect). */
  connection(inst: InstanceRow, prev: ConnectionStatus | undefined, ev: EngineEvents['connection'][0]): Promise<void> {
    const now = Date.now();
    if (ev.status === 'connected' && prev !== 'connected') {
      return this.guard(() => this.outbox.add(inst, 'ConnectedCallback', connectedCallback(inst, ev.phone, now)), inst.id);
    }
    if (prev === 'connected' && (ev.status === 'disconnected' || ev.status === 'qr')) {
      const error = ev.reason ?? 'Device has been disconnected';
      return this.guard(() => this.outbox.add(inst, 'DisconnectedCallback', disconnectedCallback(inst, error, now)), inst.id);
    }
    return Promise.resolve();
  }

  /**
   * `store` writes the message itself in the same transaction as its outbox row: it is stored
   * before a client can reply to it, and a crash keeps both or neither.
   */
  message(inst: InstanceRow, m: IncomingMessage, connectedPhone: string | null, store?: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    return this.guard(() => this.outbox.add(inst, 'ReceivedCallback', receivedCallback(inst, m, connectedPhone, this.urls), store), inst.id);
  }

  status(inst: InstanceRow, ev: EngineEvents['messageStatus'][0]): Promise<void> {
    if (!inst.message_status_url) return Promise.resolve(); // no webhook: no payload, no turn in the chain
    return this.guard(() => this.outbox.add(inst, 'MessageStatusCallback', messageStatusCallback(inst, ev)), inst.id);
  }

  presence(inst: InstanceRow, ev: EngineEvents['presence'][0]): Promise<void> {
    return this.guard(() => this.outbox.add(inst, 'PresenceChatCallback', presenceChatCallback(inst, ev)), inst.id);
  }

  /** Calls Z-API reports (offered, missed) become ReceivedCallback notifications; other call states none. */
  call(inst: InstanceRow, ev: EngineEvents['call'][0], connectedPhone: string | null): Promise<void> {
    const body = callNotification(inst, ev, connectedPhone);
    if (!body) return Promise.resolve();
    return this.guard(() => this.outbox.add(inst, 'ReceivedCallback', body), inst.id);
  }

  /** A message deleted for everyone by its sender: a ReceivedCallback with notification REVOKE. */
  revoke(inst: InstanceRow, ev: EngineEvents['messageRevoked'][0], connectedPhone: string | null): Promise<void> {
    return this.guard(() => this.outbox.add(inst, 'ReceivedCallback', revokeNotification(inst, ev, connectedPhone)), inst.id);
  }

  /** Group, channel, profile, label and chat notices: a ReceivedCallback with `notification` (notifications.ts). */
  notification(inst: InstanceRow, ev: EngineEvents['notification'][0], connectedPhone: string | null): Promise<void> {
    return this.guard(() => this.outbox.add(inst, 'ReceivedCallback', notificationCallback(inst, ev, connectedPhone)), inst.id);
  }
}

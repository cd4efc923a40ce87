// The sandbox engine: a real engine behind the port, connected to the simulated network
// instead of WhatsApp. "Scanning the QR" is POST /sandbox/pair; after that the instance
// sends and receives on the network and survives restarts like a paired phone would.
import { randomBytes, createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, SandboxDeviceRow } from '../../store/schema.js';
import { ApiError, Unsupported, badRequest, conflict } from '../../domain/errors.js';
import { fromJid, isGroupJid } from '../../domain/phone.js';
import { newMessageId } from '../../domain/ids.js';
import {
  EngineEmitter,
  type DeviceInfo,
  type EngineNotification,
  type EngineState,
  type MessageContent,
  type OutgoingMessage,
  type PresenceKind,
  type SendResult,
  type WhatsAppEngine,
} from '../engine.js';
import type { ReceiptStatus, SandboxNetwork, SandboxPeer } from './network.js';
import {
  SIMULATED_MEMBER_PREFIX,
  STATUS_JID,
  incomingOf,
  isSimulatedGroup,
  isSimulatedMemberPhone,
  unsupportedChat,
  unsupportedOnNetwork,
  type NetworkMessage,
} from './wire.js';

const notConnected = () => new ApiError(409, 'not-connected', 'The instance is not connected (sandbox: pair it first).');

/** A stable default phone for an instance: 55 00 + 11 digits derived from its id. */
export function defaultSandboxPhone(instanceId: string): string {
  const n = BigInt('0x' + createHash('sha256').update(instanceId).digest('hex').slice(0, 15)) % 100_000_000_000n;
  return '5500' + n.toString().padStart(11, '0');
}

export class SandboxEngine implements WhatsAppEngine, SandboxPeer {
  readonly kind = 'sandbox' as const;
  readonly events = new EngineEmitter();
  private st: EngineState = { status: 'disconnected', phone: null, reason: 'Not started.', hasSession: false };
  private qrCode: string | null = null;
  private name: string | null = null;

  constructor(
    readonly instanceId: string,
    private readonly db: Kysely<Database>,
    private readonly network: SandboxNetwork,
    /** Resolves once every event emitted so far is recorded (in the outbox); rejects if one could not be. */
    private readonly recorded: () => Promise<void> = async () => undefined,
    /** Start-up: this instance's device row, read together with every other (undefined: connect reads it). */
    private known?: SandboxDeviceRow | null,
  ) {}

  get phone(): string {
    return this.st.phone ?? '';
  }

  state(): EngineState {
    return { ...this.st };
  }

  async connect(): Promise<void> {
    const device =
      this.known !== undefined
        ? this.known
        : await this.db.selectFrom('sandbox_devices').selectAll().where('instance_id', '=', this.instanceId).executeTakeFirst();
    this.known = undefined; // a later connect reads the store again
    if (device && device.paired === 1) {
      await this.goOnline(device.phone);
    } else {
      this.waitForScan();
    }
  }

  private waitForScan(): void {
    this.qrCode = `openzap-sandbox:${this.instanceId}:${randomBytes(8).toString('hex')}`;
    this.st = { status: 'qr', phone: null, reason: 'Waiting for the QR code to be scanned (sandbox: POST /sandbox/pair).', hasSession: false };
    this.events.emit('qr', { qr: this.qrCode });
  }

  private async goOnline(phone: string): Promise<void> {
    this.qrCode = null;
    this.st = { status: 'connected', phone, reason: null, hasSession: true };
    this.events.emit('connection', { status: 'connected', phone, reason: null });
    await this.network.attach(this);
  }

  /** The sandbox equivalent of scanning the QR code with a phone. */
  async pair(phone: string | null): Promise<string> {
    if (this.st.status === 'connected') throw conflict('You are already connected.', 'already-connected');
    const wanted = phone ?? defaultSandboxPhone(this.instanceId);
    if (isSimulatedMemberPhone(wanted)) {
      throw conflict(`Phone ${wanted} is reserved for simulated group members (${SIMULATED_MEMBER_PREFIX} and 8 digits); pair with another number.`, 'phone-reserved');
    }
    if (!(await this.network.pairDevice(this.instanceId, wanted))) {
      throw conflict(`Phone ${wanted} is already paired with another sandbox instance.`, 'phone-in-use');
    }
    await this.goOnline(wanted);
    return wanted;
  }

  async qr(): Promise<string | null> {
    return this.st.status === 'qr' ? this.qrCode : null;
  }

  async pairingCode(_phone: string): Promise<string> {
    if (this.st.status === 'connected') throw conflict('You are already connected.', 'already-connected');
    // Eight characters like WhatsApp's; entering it is simulated by POST /sandbox/pair.
    return randomBytes(4).toString('hex').toUpperCase();
  }

  async restart(): Promise<void> {
    const wasPaired = this.st.hasSession;
    this.network.detach(this);
    this.st = { ...this.st, status: 'connecting', reason: 'Restarting.' };
    this.events.emit('connection', { status: 'connecting', phone: this.st.phone, reason: 'Restarting.' });
    if (wasPaired) await this.goOnline(this.st.phone!);
    else this.waitForScan();
  }

  async logout(): Promise<void> {
    this.network.detach(this);
    await this.network.unpairDevice(this.instanceId);
    const phone = this.st.phone;
    this.st = { status: 'disconnected', phone: null, reason: 'Logged out.', hasSession: false };
    this.events.emit('connection', { status: 'disconnected', phone, reason: 'Device has been disconnected', loggedOut: true });
    this.waitForScan();
  }

  async close(): Promise<void> {
    this.network.detach(this);
    this.st = { ...this.st, status: 'disconnected', reason: 'Stopped.' };
  }

  async device(): Promise<DeviceInfo> {
    return {
      phone: this.st.phone,
      name: this.name,
      imgUrl: null,
      platform: 'sandbox',
      sessionName: 'OpenZap sandbox',
      deviceModel: 'OpenZap sandbox',
      isBusiness: false,
    };
  }

  private requireOnline(): string {
    if (this.st.status !== 'connected' || !this.st.phone) throw notConnected();
    return this.st.phone;
  }

  /** The network's name for a chat this engine can act on: the other person's phone, STATUS_JID or a group jid. */
  private chatOf(chatJid: string): string {
    const unsupported = unsupportedChat(chatJid);
    if (unsupported) throw new Unsupported(unsupported);
    return chatJid === STATUS_JID || isSimulatedGroup(chatJid) ? chatJid : fromJid(chatJid);
  }

  /**
   * The chat a message goes to: its `to`, except a privateAnswer to a group message, which goes
   * to the private chat of that message's sender (as the Baileys engine does), found in this
   * instance's recent-message store.
   */
  private async recipientOf(msg: OutgoingMessage): Promise<string> {
    if (!msg.privateAnswer || !msg.quotedId) return msg.to;
    const quoted = await this.db
      .selectFrom('messages')
      .select(['chat_jid', 'sender_jid'])
      .where('instance_id', '=', this.instanceId)
      .where('message_id', '=', msg.quotedId)
      .executeTakeFirst();
    if (!quoted || !isGroupJid(quoted.chat_jid)) return msg.to;
    if (!quoted.sender_jid?.endsWith('@s.whatsapp.net')) throw badRequest('privateAnswer: the sender of the quoted group message is not known');
    return quoted.sender_jid;
  }

  messages = {
    unsupportedReason: (content: MessageContent, to: string): string | null => unsupportedOnNetwork(content, to),
    send: async (msg: OutgoingMessage): Promise<SendResult> => {
      const from = this.requireOnline();
      const to = await this.recipientOf(msg);
      const unsupported = unsupportedOnNetwork(msg.content, to);
      if (unsupported) throw new Unsupported(unsupported);
      const timestamp = Date.now();
      const netMsg: NetworkMessage = {
        id: msg.id,
        from,
        to: this.chatOf(to),
        content: msg.content,
        timestamp,
        quotedId: msg.quotedId,
        editId: msg.editId,
      };
      if (msg.forwarded) netMsg.forwarded = true;
      if (msg.quotedIsStatus) netMsg.isStatusReply = true;
      const { duplicate, delivered } = await this.network.accept(netMsg);
      // The server acknowledged the message: SENT (re-emitted for a retried id: at least once).
      this.events.emit('messageStatus', { ids: [msg.id], chatJid: to, status: 'SENT', timestamp, device: 0 });
      // Recorded before we return: the caller then deletes the queue row, after which nothing would re-emit it.
      await this.recorded();
      // A retried id that has not reached its recipient(s) yet is routed again (duplicates are ignored there).
      if (!delivered) await this.network.route(netMsg);
      return { id: msg.id, timestamp, duplicate };
    },
    sendPresence: async (jid: string, presence: PresenceKind): Promise<void> => {
      const from = this.requireOnline();
      if (jid.endsWith('@s.whatsapp.net')) this.network.presence(from, fromJid(jid), presence);
    },
    read: async (chatJid: string, ids: string[]): Promise<void> => {
      const me = this.requireOnline();
      await this.network.read(me, this.chatOf(chatJid), ids);
    },
    played: async (chatJid: string, ids: string[]): Promise<void> => {
      const me = this.requireOnline();
      await this.network.played(me, this.chatOf(chatJid), ids);
    },
    delete: async (key: { id: string; chatJid: string; fromMe: boolean; participant?: string }): Promise<void> => {
      const me = this.requireOnline();
      const chat = this.chatOf(key.chatJid);
      // Someone else's message: "delete for me" only touches this device; the network has nothing to do.
      if (!key.fromMe) return;
      if (!(await this.network.revoke(me, chat, key.id))) {
        throw new ApiError(404, 'message-not-found', `This instance sent no message ${key.id} to ${key.chatJid} on the sandbox network.`);
      }
    },
  };

  profile = {
    setName: async (name: string) => {
      const phone = this.requireOnline();
      if (name === this.name) return;
      this.name = name;
      // WhatsApp tells the account's devices about the new name (Baileys: creds.update me.name), through the API too.
      await this.notify({ kind: 'PROFILE_NAME_UPDATED', id: newMessageId(), chatJid: `${phone}@s.whatsapp.net`, fromMe: true, timestamp: Date.now(), name });
    },
    setDescription: async (_text: string) => {
      this.requireOnline();
    },
    setPicture: async (_url: string) => {
      this.requireOnline();
    },
  };

  /**
   * A notification as WhatsApp would report it to this instance (sandbox controls, the
   * profile above): resolves once it is recorded, like a received message.
   */
  notify(n: EngineNotification): Promise<void> {
    this.requireOnline();
    this.events.emit('notification', n);
    return this.recorded();
  }

  // ---- SandboxPeer: what the network hands to this instance ----

  receive(msg: NetworkMessage): Promise<void> {
    this.events.emit('message', incomingOf(msg));
    return this.recorded();
  }

  receipt(fromPhone: string, ids: string[], status: ReceiptStatus, chat?: string): Promise<void> {
    const who = `${fromPhone}@s.whatsapp.net`;
    const timestamp = Date.now();
    // Receipts for a status post or in a group name the viewer or member as participant (as WhatsApp's do).
    this.events.emit(
      'messageStatus',
      chat ? { ids, chatJid: chat, participant: who, status, timestamp, device: 0 } : { ids, chatJid: who, status, timestamp, device: 0 },
    );
    return this.recorded();
  }

  revoked(msg: NetworkMessage): Promise<void> {
    const sender = `${msg.from}@s.whatsapp.net`;
    // Seen from here: a status in the statuses chat, anything else in the chat with its sender.
    this.events.emit('messageRevoked', {
      id: msg.id,
      chatJid: msg.broadcast ? STATUS_JID : sender,
      senderJid: sender,
      fromMe: false,
      timestamp: msg.revokedAt ?? Date.now(),
    });
    return this.recorded();
  }

  presence(fromPhone: string, presence: PresenceKind): void {
    this.events.emit('presence', { chatJid: `${fromPhone}@s.whatsapp.net`, presence, lastSeen: null });
  }
}

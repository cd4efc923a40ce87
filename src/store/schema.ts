// Table types for Kysely. Booleans are stored as 0/1 and times as epoch milliseconds
// so that SQLite and Postgres share one schema and one code path.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface AccountsTable {
  id: string;
  name: string;
  client_token: string | null;
  client_token_enabled: number;
  /** JSON array of allowed IPs; empty array = no restriction. */
  ip_allowlist: string;
  created_at: number;
}

export interface PartnerTokensTable {
  /** sha256 hex of the token: the token itself is never stored. */
  token_hash: string;
  account_id: string;
  label: string;
  created_at: number;
}

export interface InstancesTable {
  id: string;
  token: string;
  account_id: string;
  name: string;
  engine: string;
  middleware: string;
  session_name: string | null;
  business_device: number;
  created_at: number;
  due_at: number | null;
  payment_status: string;
  canceled_at: number | null;
  phone: string | null;
  delivery_url: string | null;
  received_url: string | null;
  notify_sent_by_me: number;
  disconnected_url: string | null;
  connected_url: string | null;
  message_status_url: string | null;
  presence_url: string | null;
  webhook_secret: string | null;
  auto_read_message: number;
  auto_read_status: number;
  call_reject_auto: number;
  call_reject_message: string | null;
  profile_name: string | null;
  profile_description: string | null;
  profile_picture: string | null;
}

export interface QueueTable {
  seq: Generated<number>;
  instance_id: string;
  zaap_id: string;
  message_id: string;
  phone: string;
  jid: string;
  kind: string;
  /** JSON of the engine-level outgoing message. */
  payload: string;
  delay_message: number | null;
  delay_typing: number | null;
  /** queued | sending */
  status: string;
  attempts: number;
  created_at: number;
  last_error: string | null;
}

export interface MessagesTable {
  instance_id: string;
  message_id: string;
  zaap_id: string | null;
  chat_jid: string;
  from_me: number;
  sender_jid: string | null;
  kind: string;
  payload: string;
  status: string;
  created_at: number;
}

export interface WebhookOutboxTable {
  id: Generated<number>;
  instance_id: string;
  url: string;
  event_type: string;
  payload: string;
  /** pending | delivered | failed */
  status: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
  /** Set by a replay: the retry horizon counts from here instead of created_at. */
  retry_from: number | null;
  /** Attempts already made when the row was replayed (the backoff restarts after them). */
  attempts_before: number | null;
  /** Duration of the last attempt. The successful attempt lives in this row only (webhook_attempts logs the failed ones). */
  last_duration_ms: number | null;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  outbox_id: number;
  attempt: number;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface SandboxDevicesTable {
  instance_id: string;
  phone: string;
  paired: number;
  updated_at: number;
}

export interface SandboxMessagesTable {
  id: string;
  from_phone: string;
  to_phone: string;
  content: string;
  /** sent | received | read */
  status: string;
  /** 1 once handed to the recipient (a sandbox instance or a simulated contact). */
  delivered: number;
  created_at: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

/** Baileys creds of an instance: BufferJSON text, sealed when OPENZAP_SECRET_KEY is set. */
export interface BaileysCredsTable {
  instance_id: string;
  value: string;
  updated_at: number;
}

/** One Signal key (pre-key, session, sender-key, app-state-sync-key, lid-mapping, …) of an instance. */
export interface BaileysKeysTable {
  instance_id: string;
  type: string;
  key_id: string;
  /** BufferJSON text, sealed when OPENZAP_SECRET_KEY is set. */
  value: string;
  updated_at: number;
}

/** LID ↔ phone pairs an instance has learned (user jids without device). */
export interface BaileysLidMapTable {
  instance_id: string;
  /** 1234…@lid */
  lid: string;
  /** 5511…@s.whatsapp.net */
  pn: string;
  updated_at: number;
}

/** Raw recent messages of a Baileys instance (retries, quotes, receipts, status monotonicity). */
export interface BaileysMessagesTable {
  instance_id: string;
  message_id: string;
  /** The chat jid exactly as WhatsApp addressed it (may be a LID). */
  remote_jid: string;
  from_me: number;
  /** 1 when sent through the API by this instance. */
  from_api: number;
  /** Highest delivery status seen (proto.WebMessageInfo.Status: 2 SERVER_ACK … 5 PLAYED). */
  status: number;
  /** The WAMessage as BufferJSON text; null for a receipt of a message we never stored. */
  data: string | null;
  created_at: number;
}

/** A chat of a Baileys instance (history sync, chats.upsert/update/delete). */
export interface BaileysChatsTable {
  instance_id: string;
  /** The phone jid when known, else the jid as WhatsApp gave it (group, LID …). */
  jid: string;
  name: string | null;
  /** Unread messages; -1 = marked unread on the phone (WhatsApp's own convention). */
  unread_count: number;
  archived: number;
  /** Pin time (epoch ms), 0 when not pinned. */
  pinned: number;
  /** Muted until (epoch ms); null when not muted. */
  mute_end: number | null;
  last_message_at: number | null;
  ephemeral_expiration: number | null;
  updated_at: number;
}

/** A contact of a Baileys instance (history sync, contacts.upsert/update, push names). */
export interface BaileysContactsTable {
  instance_id: string;
  /** The phone jid when known, else the LID jid. */
  jid: string;
  lid: string | null;
  /** Name saved in the phone's address book. */
  name: string | null;
  /** The contact's own push name. */
  notify: string | null;
  verified_name: string | null;
  img_url: string | null;
  updated_at: number;
}

/** Group metadata of a Baileys instance (Baileys' GroupMetadata as JSON); serves cachedGroupMetadata. */
export interface BaileysGroupsTable {
  instance_id: string;
  jid: string;
  subject: string | null;
  data: string;
  updated_at: number;
}

/** Chats whose presence we follow: subscribed again after every reconnect. */
export interface BaileysPresenceSubsTable {
  instance_id: string;
  jid: string;
  updated_at: number;
}

/** A file in the media store (bytes under <dataDir>/media, see media/store.ts). */
export interface MediaTable {
  id: string;
  instance_id: string;
  mime_type: string;
  file_name: string | null;
  size: number;
  sha256: string;
  created_at: number;
  expires_at: number;
}

export interface Database {
  accounts: AccountsTable;
  partner_tokens: PartnerTokensTable;
  instances: InstancesTable;
  send_queue: QueueTable;
  messages: MessagesTable;
  webhook_outbox: WebhookOutboxTable;
  webhook_attempts: WebhookAttemptsTable;
  sandbox_devices: SandboxDevicesTable;
  sandbox_messages: SandboxMessagesTable;
  settings: SettingsTable;
  baileys_creds: BaileysCredsTable;
  baileys_keys: BaileysKeysTable;
  baileys_lid_map: BaileysLidMapTable;
  baileys_messages: BaileysMessagesTable;
  baileys_chats: BaileysChatsTable;
  baileys_contacts: BaileysContactsTable;
  baileys_groups: BaileysGroupsTable;
  baileys_presence_subs: BaileysPresenceSubsTable;
  media: MediaTable;
}

export type InstanceRow = Selectable<InstancesTable>;
export type NewInstanceRow = Insertable<InstancesTable>;
export type InstanceUpdate = Updateable<InstancesTable>;
export type QueueRow = Selectable<QueueTable>;
export type OutboxRow = Selectable<WebhookOutboxTable>;
export type AccountRow = Selectable<AccountsTable>;
export type SandboxDeviceRow = Selectable<SandboxDevicesTable>;

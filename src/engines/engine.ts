// The WhatsAppEngine port: what any engine (real WhatsApp Web through Baileys, or the
// sandbox) must do for one instance. Engines speak jids and engine-level message content,
// never HTTP or Z-API field names; the webhook mapper turns their events into payloads.
import { EventEmitter } from 'node:events';

export type ConnectionStatus = 'disconnected' | 'connecting' | 'qr' | 'connected';

export interface EngineState {
  status: ConnectionStatus;
  /** Digits of the connected number, when known. */
  phone: string | null;
  /** Why the engine is not connected (human text), when it is not. */
  reason: string | null;
  /** The session exists (paired once) and can reconnect without a new scan. */
  hasSession: boolean;
}

export interface DeviceInfo {
  phone: string | null;
  name: string | null;
  imgUrl: string | null;
  platform: string;
  sessionName: string;
  deviceModel: string;
  isBusiness: boolean;
}

export type { MessageContent, MediaRef, MessageKey } from './content.js';
import type { MessageContent } from './content.js';

export interface OutgoingMessage {
  /** Message id generated at enqueue time; engines must send with exactly this id. */
  id: string;
  to: string;
  content: MessageContent;
  /** Reply: the quoted message id. */
  quotedId?: string;
  /** Group reply sent privately to the quoted message's sender. */
  privateAnswer?: boolean;
  /** Replace the content of an earlier message of ours with this id. */
  editId?: string;
  /** Shown as "Forwarded" (forward-message). */
  forwarded?: boolean;
  /** The quoted message is a status (story) of the recipient: reply-status-*. */
  quotedIsStatus?: boolean;
}

export interface SendResult {
  id: string;
  timestamp: number;
  /** True when the engine recognised the id as already sent (retry after a crash). */
  duplicate: boolean;
}

export type PresenceKind = 'available' | 'unavailable' | 'composing' | 'recording' | 'paused';

export interface IncomingMessage {
  id: string;
  chatJid: string;
  /** Sender: the chat for one-to-one chats, the participant in groups. */
  senderJid: string;
  senderName: string | null;
  fromMe: boolean;
  /** Sent through this API (as opposed to typed on the phone), for fromMe messages. */
  fromApi: boolean;
  timestamp: number;
  content: MessageContent;
  quotedId?: string;
  isEdit?: boolean;
  forwarded?: boolean;
  /** The chat's LID when WhatsApp addressed it by LID (chatJid then holds the phone jid, when known). */
  chatLid?: string;
  /** The sender's LID, when known. */
  senderLid?: string;
  /** A reply to one of our statuses (stories). */
  isStatusReply?: boolean;
  /** Posted as a status (story): chatJid is status@broadcast. */
  broadcast?: boolean;
  /** View-once media. */
  viewOnce?: boolean;
}

export type MessageStatus = 'SENT' | 'RECEIVED' | 'READ' | 'READ_BY_ME' | 'PLAYED';

export type CallStatus = 'offer' | 'ringing' | 'timeout' | 'reject' | 'accept' | 'terminate';

/** A voice or video call: offered to us, ringing, missed (timeout), rejected, accepted or ended. */
export interface CallEvent {
  id: string;
  /** The caller: the phone jid when known. */
  from: string;
  /** The caller's LID, when known. */
  fromLid?: string;
  /** The caller's name as we know it (push name or saved name), when known. */
  fromName?: string | null;
  isVideo: boolean;
  isGroup: boolean;
  status: CallStatus;
  timestamp: number;
}

/** Group membership changes WhatsApp shows as system messages in the group. */
export type GroupParticipantNotice = 'GROUP_PARTICIPANT_ADD' | 'GROUP_PARTICIPANT_INVITE' | 'GROUP_PARTICIPANT_REMOVE' | 'GROUP_PARTICIPANT_LEAVE';

/** System messages about a chat's encryption or business status (no parameters). */
export type ChatNotice = 'E2E_ENCRYPTED' | 'BLUE_MSG_SELF_PREMISE_UNVERIFIED' | 'BLUE_MSG_SELF_PREMISE_VERIFIED' | 'BIZ_MOVE_TO_CONSUMER_APP';

interface NotificationBase {
  /** WhatsApp's id for the notification when it has one, else one the engine made up. */
  id: string;
  /**
   * Where it happened: the group, the channel, the contact's chat; this account's own jid for
   * account notifications (profile name and picture, chat labels).
   */
  chatJid: string;
  /** The chat's name when known (group subject, channel name). */
  chatName?: string | null;
  /** The person who did it, when it is one (the group participant who added, removed, left, created, asked). */
  actorJid?: string;
  actorLid?: string;
  actorName?: string | null;
  /** This account did it (on this device or another). */
  fromMe: boolean;
  timestamp: number;
}

/**
 * Something WhatsApp reports that is not a message: group membership and join requests,
 * channel admin changes, this account's profile and chat labels, chat system notices. The
 * kinds are Z-API's `notification` names; jids are phone jids whenever the engine knows them.
 */
export type EngineNotification = NotificationBase &
  (
    | {
        /** `requesterJid` asked to join through an invite link, or was added by `actorJid` (not an admin) and awaits approval. */
        kind: 'MEMBERSHIP_APPROVAL_REQUEST';
        requesterJid: string;
        /** invite_link or non_admin_add (the documented two); any other method WhatsApp names is passed on as is. */
        requestMethod: 'invite_link' | 'non_admin_add' | (string & {});
      }
    /** `requesterJid`'s pending request is gone: withdrawn by them, or rejected by `actorJid` (an admin). */
    | { kind: 'REVOKED_MEMBERSHIP_REQUESTS'; requesterJid: string }
    /** `actorJid` created the group with this account in it. */
    | { kind: 'GROUP_CREATE'; subject: string }
    /** `participantJids` were added, invited, removed by `actorJid`, or left (actor = the one who left). */
    | { kind: GroupParticipantNotice; participantJids: string[] }
    /** `userJid` became an admin of the channel, or went back to being a subscriber; `role` as WhatsApp names it. */
    | { kind: 'NEWSLETTER_ADMIN_PROMOTE' | 'NEWSLETTER_ADMIN_DEMOTE'; userJid: string; userLid?: string; role: string }
    /** This account's profile name changed (on the phone or through the API). */
    | { kind: 'PROFILE_NAME_UPDATED'; name: string }
    /** This account's profile picture changed: its new URL, null when it was removed or cannot be fetched. */
    | { kind: 'PROFILE_PICTURE_UPDATED'; pictureUrl: string | null }
    /** Labels put on (assigned) or taken off chats by this account. */
    | { kind: 'CHAT_LABEL_ASSOCIATION'; labels: { chatJid: string; labelId: string; assigned: boolean }[] }
    | { kind: ChatNotice }
  );

export type NotificationKind = EngineNotification['kind'];

export interface EngineEvents {
  connection: [{ status: ConnectionStatus; phone: string | null; reason: string | null; loggedOut?: boolean }];
  qr: [{ qr: string }];
  message: [IncomingMessage];
  messageStatus: [{ ids: string[]; chatJid: string; status: MessageStatus; participant?: string; device?: number; timestamp: number }];
  presence: [{ chatJid: string; presence: PresenceKind; lastSeen: number | null }];
  call: [CallEvent];
  /**
   * A message was deleted for everyone by its sender ("This message was deleted"). `id` is the
   * deleted message's, in `chatJid` as this instance sees it; `senderJid` deleted it (the
   * participant in groups); `fromMe` when this account deleted it from another device.
   */
  messageRevoked: [{ id: string; chatJid: string; senderJid: string; fromMe: boolean; timestamp: number }];
  /** A notification (see EngineNotification): webhooks report it as a ReceivedCallback with `notification`. */
  notification: [EngineNotification];
}

export class EngineEmitter extends EventEmitter<EngineEvents> {}

export interface WhatsAppEngine {
  readonly kind: 'baileys' | 'sandbox';
  readonly events: EngineEmitter;

  // lifecycle
  /** Start (or resume a stored session). Resolves once the attempt is under way. */
  connect(): Promise<void>;
  state(): EngineState;
  /** The current QR string, or null when none is available (connected, or not yet generated). */
  qr(): Promise<string | null>;
  pairingCode(phone: string): Promise<string>;
  restart(): Promise<void>;
  /** Unlink the device and forget the session. */
  logout(): Promise<void>;
  /** Stop without logging out (shutdown, expiry). */
  close(): Promise<void>;
  device(): Promise<DeviceInfo>;

  messages: {
    /**
     * Why this engine cannot send the content (→ 501 before the message is queued), or null
     * when it can. Checked by the routes at accept time.
     */
    unsupportedReason(content: MessageContent, to: string): string | null;
    send(msg: OutgoingMessage): Promise<SendResult>;
    sendPresence(jid: string, presence: PresenceKind): Promise<void>;
    /** Mark received messages of a chat as read (sends read receipts). */
    read(chatJid: string, ids: string[]): Promise<void>;
    /** Delete a message: for everyone when it is ours (owner), otherwise only on this device. */
    delete(key: { id: string; chatJid: string; fromMe: boolean; participant?: string }): Promise<void>;
    /** Audio or PTV played: sends the "played" receipt (PLAYED). */
    played(chatJid: string, ids: string[]): Promise<void>;
  };

  profile: {
    setName(name: string): Promise<void>;
    setDescription(text: string): Promise<void>;
    setPicture(url: string): Promise<void>;
  };
}

// Schema migrations, run at start. One list for both dialects; only the id columns differ.
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function serialId(dialect: Dialect): { type: 'integer' | 'bigserial'; auto: boolean } {
  return dialect === 'sqlite' ? { type: 'integer', auto: true } : { type: 'bigserial', auto: false };
}

function initial(dialect: Dialect): Migration {
  const serial = serialId(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('client_token', 'text')
        .addColumn('client_token_enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ip_allowlist', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('partner_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('middleware', 'text', (c) => c.notNull().defaultTo('web'))
        .addColumn('session_name', 'text')
        .addColumn('business_device', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('due_at', 'bigint')
        .addColumn('payment_status', 'text', (c) => c.notNull())
        .addColumn('canceled_at', 'bigint')
        .addColumn('phone', 'text')
        .addColumn('delivery_url', 'text')
        .addColumn('received_url', 'text')
        .addColumn('notify_sent_by_me', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disconnected_url', 'text')
        .addColumn('connected_url', 'text')
        .addColumn('message_status_url', 'text')
        .addColumn('presence_url', 'text')
        .addColumn('webhook_secret', 'text')
        .addColumn('auto_read_message', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('auto_read_status', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('call_reject_auto', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('call_reject_message', 'text')
        .addColumn('profile_name', 'text')
        .addColumn('profile_description', 'text')
        .addColumn('profile_picture', 'text')
        .execute();
      await db.schema.createIndex('instances_account').on('instances').column('account_id').execute();

      await db.schema
        .createTable('send_queue')
        .addColumn('seq', serial.type, (c) => (serial.auto ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('zaap_id', 'text', (c) => c.notNull().unique())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('jid', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('delay_message', 'integer')
        .addColumn('delay_typing', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .execute();
      await db.schema.createIndex('send_queue_instance').on('send_queue').columns(['instance_id', 'seq']).execute();

      await db.schema
        .createTable('messages')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('zaap_id', 'text')
        .addColumn('chat_jid', 'text', (c) => c.notNull())
        .addColumn('from_me', 'integer', (c) => c.notNull())
        .addColumn('sender_jid', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('messages_pk', ['instance_id', 'message_id'])
        .execute();
      await db.schema.createIndex('messages_created').on('messages').column('created_at').execute();

      await db.schema
        .createTable('webhook_outbox')
        .addColumn('id', serial.type, (c) => (serial.auto ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .execute();
      await db.schema.createIndex('webhook_outbox_status').on('webhook_outbox').columns(['status', 'id']).execute();
      await db.schema
        .createIndex('webhook_outbox_instance')
        .on('webhook_outbox')
        .columns(['instance_id', 'status', 'id'])
        .execute();

      await db.schema
        .createTable('webhook_attempts')
        .addColumn('id', serial.type, (c) => (serial.auto ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('outbox_id', 'bigint', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_attempts_outbox').on('webhook_attempts').column('outbox_id').execute();

      await db.schema
        .createTable('sandbox_devices')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('paired', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sandbox_devices_phone').on('sandbox_devices').column('phone').execute();

      await db.schema
        .createTable('sandbox_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('from_phone', 'text', (c) => c.notNull())
        .addColumn('to_phone', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('delivered', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sandbox_messages_pending')
        .on('sandbox_messages')
        .columns(['to_phone', 'delivered'])
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * The Baileys engine's own state, per instance: the auth state (creds + every Signal key
 * type, values optionally sealed with OPENZAP_SECRET_KEY), the LID↔phone mapping and the
 * raw recent messages Baileys needs for retries (getMessage) and quoted replies.
 */
function baileysAuth(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('baileys_creds')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('baileys_keys')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('baileys_keys_pk', ['instance_id', 'type', 'key_id'])
        .execute();
      await db.schema
        .createTable('baileys_lid_map')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('lid', 'text', (c) => c.notNull())
        .addColumn('pn', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('baileys_lid_map_pk', ['instance_id', 'lid'])
        .execute();
      await db.schema.createIndex('baileys_lid_map_pn').on('baileys_lid_map').columns(['instance_id', 'pn']).execute();
      await db.schema
        .createTable('baileys_messages')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('remote_jid', 'text', (c) => c.notNull())
        .addColumn('from_me', 'integer', (c) => c.notNull())
        .addColumn('from_api', 'integer', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('data', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('baileys_messages_pk', ['instance_id', 'message_id'])
        .execute();
      await db.schema.createIndex('baileys_messages_created').on('baileys_messages').column('created_at').execute();
    },
  };
}

/**
 * A replayed webhook gets a fresh retry window: the horizon counts from retry_from and the
 * backoff restarts from its first step (attempts_before = attempts already made then).
 */
function outboxRetryFrom(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('webhook_outbox').addColumn('retry_from', 'bigint').execute();
      await db.schema.alterTable('webhook_outbox').addColumn('attempts_before', 'integer').execute();
    },
  };
}

/**
 * The Baileys engine's local store (Baileys 7 ships none): chats, contacts and groups fed by
 * history sync and live events, and the chats whose presence we follow (renewed after a reconnect).
 */
function baileysStore(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('baileys_chats')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('jid', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('pinned', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('mute_end', 'bigint')
        .addColumn('last_message_at', 'bigint')
        .addColumn('ephemeral_expiration', 'integer')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('baileys_chats_pk', ['instance_id', 'jid'])
        .execute();
      await db.schema
        .createTable('baileys_contacts')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('jid', 'text', (c) => c.notNull())
        .addColumn('lid', 'text')
        .addColumn('name', 'text')
        .addColumn('notify', 'text')
        .addColumn('verified_name', 'text')
        .addColumn('img_url', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('baileys_contacts_pk', ['instance_id', 'jid'])
        .execute();
      await db.schema.createIndex('baileys_contacts_lid').on('baileys_contacts').columns(['instance_id', 'lid']).execute();
      await db.schema
        .createTable('baileys_groups')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('jid', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('baileys_groups_pk', ['instance_id', 'jid'])
        .execute();
      await db.schema
        .createTable('baileys_presence_subs')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('jid', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('baileys_presence_subs_pk', ['instance_id', 'jid'])
        .execute();
    },
  };
}

/** Lane heads (status, instance, URL → lowest id) and a lane's pending rows, without sorting the table. */
function outboxLaneIndex(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createIndex('webhook_outbox_lane').on('webhook_outbox').columns(['status', 'instance_id', 'url', 'id']).execute();
    },
  };
}

/** Media files kept for sending and received media served back (media/store.ts). */
function mediaFiles(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('media')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('mime_type', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text')
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('media_expires').on('media').column('expires_at').execute();
    },
  };
}

/** The delivering attempt is kept in the outbox row itself: one write per delivered event instead of two. */
function outboxLastDuration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('webhook_outbox').addColumn('last_duration_ms', 'integer').execute();
    },
  };
}

/**
 * The delivery worker only looks for pending rows. Indexes led by `status` moved every
 * delivered row from the "pending" to the "delivered" part of two indexes (two deletes and
 * two inserts in random pages per delivery); a partial index of the pending rows only loses
 * the entry (docs/benchmarks.md F16). Queries must say `status = 'pending'` literally
 * (outboxPending) for the planner to use it.
 */
function outboxPendingIndex(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.dropIndex('webhook_outbox_status').execute();
      await db.schema.dropIndex('webhook_outbox_lane').execute();
      await db.schema
        .createIndex('webhook_outbox_pending')
        .on('webhook_outbox')
        .columns(['instance_id', 'url', 'id'])
        .where(sql.ref('status'), '=', sql.lit('pending'))
        .execute();
    },
  };
}

/**
 * The delivery log's index without `status`: with it, every delivered outcome moved the row's
 * entry within the instance's part of the index (a delete and an insert in scattered pages
 * per delivery, ~10 % of the WAL bench 2 writes: docs/benchmarks.md F22). Listing by
 * instance still walks this index in id order; a status filter reads the instance's rows.
 */
function outboxInstanceIndex(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.dropIndex('webhook_outbox_instance').execute();
      await db.schema.createIndex('webhook_outbox_instance').on('webhook_outbox').columns(['instance_id', 'id']).execute();
    },
  };
}

/**
 * The sandbox network's index of undelivered rows holds only those (partial): on the full
 * (to_phone, delivered) index every delivery moved the row's entry from the phone's
 * "0" part to its ever-growing "1" part, and the simulated contact's READ rewrote it again
 * (6 WAL frames per message for this table; 3.9 with these two indexes: docs/benchmarks.md
 * F33). Who exchanged messages with whom (status audiences; the receipts owed to a sender
 * after a restart) is found by (from_phone, to_phone).
 */
function sandboxPendingIndex(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.dropIndex('sandbox_messages_pending').execute();
      await db.schema
        .createIndex('sandbox_messages_pending')
        .on('sandbox_messages')
        .column('to_phone')
        .where(sql.ref('delivered'), '=', sql.lit(0))
        .execute();
      await db.schema.createIndex('sandbox_messages_pair').on('sandbox_messages').columns(['from_phone', 'to_phone']).execute();
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001_initial': initial(dialect),
        '0002_baileys_auth': baileysAuth(),
        '0003_outbox_retry_from': outboxRetryFrom(),
        '0004_baileys_store': baileysStore(),
        '0005_outbox_lane_index': outboxLaneIndex(),
        '0006_media': mediaFiles(),
        '0007_outbox_last_duration': outboxLastDuration(),
        '0008_outbox_pending_index': outboxPendingIndex(),
        '0009_outbox_instance_index': outboxInstanceIndex(),
        '0010_sandbox_pending_index': sandboxPendingIndex(),
      };
    },
  };
}

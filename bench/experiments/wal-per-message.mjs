// Experiment: bytes of WAL and time per message that bench 2's statements cost in SQLite,
// without HTTP in the way (bench 2 itself varies ±15 % between runs on a 2-core machine).
// Replays the statements one sandbox message causes — queue insert, claim, network row,
// confirmation (queue delete, messages row, DeliveryCallback), SENT/RECEIVED/READ status
// webhooks, receipts, and each webhook's delivered outcome — in group commits of
// BATCH messages, with deliveries and receipts lagging LAG messages behind (bench 2 runs
// with a backlog). Checkpoints are off, so the WAL's size at the end is what was written.
//   node bench/experiments/wal-per-message.mjs [variant…]
// Variants are index changes applied after the migrations (see VARIANTS; drop:<index> drops one).
// SKIP=name,… leaves statements out (to see what each costs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const ROOT = process.env.OPENZAP_ROOT || path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(ROOT, 'package.json'));
const Database = require('better-sqlite3');
const { openStore } = await import(path.join(ROOT, 'dist/store/db.js'));

const MESSAGES = Number(process.env.MESSAGES ?? 30000);
const BATCH = Number(process.env.BATCH ?? 30);
const LAG = Number(process.env.LAG ?? 2000);
const INSTANCES = 100;

const VARIANTS = {
  base: [],
  // The listing index without status: a delivered outcome no longer moves the row's entry.
  'outbox-instance-id': ['drop index webhook_outbox_instance', 'create index webhook_outbox_instance on webhook_outbox (instance_id, id)'],
  // Pending sandbox rows only (the index is read for undelivered rows only).
  'sandbox-pending-partial': [
    'drop index sandbox_messages_pending',
    'create index sandbox_messages_pending on sandbox_messages (to_phone) where delivered = 0',
  ],
};
const names = process.argv.slice(2);
const variants = names.length ? names : ['base'];

const hex = (n) => randomBytes(n).toString('hex').toUpperCase();
const payload = (n) => JSON.stringify({ pad: 'x'.repeat(n) });

async function run(variant) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-exp-'));
  const store = await openStore({ dataDir: dir, databaseUrl: null });
  await store.close();
  const db = new Database(path.join(dir, 'openzap.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  for (const s of VARIANTS[variant] ?? [`drop index ${variant.replace(/^drop:/, '')}`]) db.exec(s);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const inst = Array.from({ length: INSTANCES }, () => hex(16));
  const q = {
    enqueue: db.prepare(
      'insert into send_queue (instance_id, zaap_id, message_id, phone, jid, kind, payload, delay_message, delay_typing, status, attempts, created_at, last_error) values (?, ?, ?, ?, ?, ?, ?, null, null, ?, 0, ?, null)',
    ),
    claim: db.prepare("update send_queue set status = 'sending', attempts = attempts + 1 where seq = ?"),
    netRow: db.prepare('insert into sandbox_messages (id, from_phone, to_phone, content, status, delivered, created_at) values (?, ?, ?, ?, ?, 0, ?)'),
    dequeue: db.prepare('delete from send_queue where seq = ?'),
    sent: db.prepare(
      "insert into messages (instance_id, message_id, zaap_id, chat_jid, from_me, sender_jid, kind, payload, status, created_at) values (?, ?, ?, ?, 1, null, 'text', ?, 'SENT', ?) on conflict do nothing",
    ),
    outbox: db.prepare(
      "insert into webhook_outbox (instance_id, url, event_type, payload, status, attempts, next_attempt_at, created_at) values (?, ?, ?, ?, 'pending', 0, ?, ?)",
    ),
    receipt: db.prepare('update sandbox_messages set status = ?, delivered = 1 where id = ?'),
    delivered: db.prepare(
      "update webhook_outbox set status = 'delivered', attempts = 1, delivered_at = ?, last_status = 200, last_error = null, last_duration_ms = 1 where id = ?",
    ),
  };
  const skip = new Set((process.env.SKIP ?? '').split(','));
  for (const k of Object.keys(q)) if (skip.has(k)) q[k] = { run: () => ({ lastInsertRowid: 0 }) };
  const msgs = [];
  const started = performance.now();
  let commitMs = 0;
  for (let at = 0; at < MESSAGES + LAG; at += BATCH) {
    const tx = () => {
      for (let i = at; i < at + BATCH; i++) {
        if (i < MESSAGES) {
          const m = { inst: inst[i % INSTANCES], id: '3EB0' + hex(10), zaap: hex(16), outbox: [] };
          const now = Date.now();
          m.seq = Number(q.enqueue.run(m.inst, m.zaap, m.id, '5511999999999', '5511999999999@s.whatsapp.net', 'text', payload(60), 'queued', now).lastInsertRowid);
          q.claim.run(m.seq);
          q.netRow.run(m.id, '5511988888888', '5511999999999', payload(200), 'sent', now);
          q.dequeue.run(m.seq);
          q.sent.run(m.inst, m.id, m.zaap, '5511999999999@s.whatsapp.net', payload(60), now);
          m.outbox.push(q.outbox.run(m.inst, 'http://127.0.0.1:9/hook', 'DeliveryCallback', payload(250), now, now).lastInsertRowid);
          m.outbox.push(q.outbox.run(m.inst, 'http://127.0.0.1:9/hook', 'MessageStatusCallback', payload(300), now, now).lastInsertRowid);
          msgs.push(m);
        }
        const old = msgs[i - LAG / 2];
        if (old) {
          q.receipt.run('received', old.id);
          old.outbox.push(q.outbox.run(old.inst, 'http://127.0.0.1:9/hook', 'MessageStatusCallback', payload(300), Date.now(), Date.now()).lastInsertRowid);
          q.receipt.run('read', old.id);
          old.outbox.push(q.outbox.run(old.inst, 'http://127.0.0.1:9/hook', 'MessageStatusCallback', payload(300), Date.now(), Date.now()).lastInsertRowid);
        }
        const done = msgs[i - LAG];
        if (done) for (const id of done.outbox) q.delivered.run(Date.now(), id);
      }
    };
    db.exec('begin');
    tx();
    const t = performance.now();
    db.exec('commit');
    commitMs += performance.now() - t;
  }
  const ms = performance.now() - started;
  const wal = fs.statSync(path.join(dir, 'openzap.db-wal')).size;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { variant, walKBPerMessage: wal / 1024 / MESSAGES, usPerMessage: (ms * 1000) / MESSAGES, commitUsPerMessage: (commitMs * 1000) / MESSAGES };
}

for (const v of variants) {
  const r = await run(v);
  console.log(`${r.variant.padEnd(28)} WAL ${r.walKBPerMessage.toFixed(1)} KB/message   ${r.usPerMessage.toFixed(0)} µs/message (commit ${r.commitUsPerMessage.toFixed(0)})`);
}

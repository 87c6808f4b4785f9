import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  base64DecodedLength,
  type DeviceMismatchDetails,
  type Envelope,
  type MessageSendAck,
  type messageSendInboundSchema,
  type QueueNotice,
  type QueuedKind,
  type typingSendSchema,
} from '@pairchat/messaging';
import { EntityManager, In, IsNull, Repository } from 'typeorm';
import type { z } from 'zod';
import type { AuthContext } from '../auth/auth-context.js';
import { AppConfig } from '../config/app-config.js';
import { loggableError } from '../common/loggable-error.js';
import { isUniqueViolation } from '../database/db-errors.js';
import { DevicesService } from '../devices/devices.service.js';
import { KeysService } from '../keys/keys.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PairingService } from '../pairing/pairing.service.js';
import { REDIS, type RedisClient } from '../redis/redis.module.js';
import { deviceControlRoom, deviceRoom, SocketEmitter, userRoom } from '../realtime/socket-emitter.js';
import { retryDeadlocks } from './deadlock-retry.js';
import { EnvelopeEntity } from './envelope.entity.js';
import { GroupCommitter, type GroupCommitOptions } from './group-committer.js';
import { MessageEntity } from './message.entity.js';
import { messagingError, MessagingErrorCode } from './messaging.errors.js';
import { MysqlBatchWriter } from './mysql-batch-writer.js';
import { PolicyInvalidation } from './policy-invalidation.js';
import { SendPolicy } from './send-policy.js';
import { SendRateLimiter } from './send-rate-limiter.js';

/** A validated `message:send` (kind defaulted). */
export type MessageSendRequest = z.output<typeof messageSendInboundSchema>;
export type TypingSendRequest = z.output<typeof typingSendSchema>;

/** A message whose first recipient device just acked it (status `delivered`). */
export interface DeliveredMessage {
  messageId: string;
  clientMessageId: string;
  senderUserId: string;
  recipientUserId: string;
  deliveredAt: number;
}

/** A message as its sender's status views need it. */
export type SentMessage = Pick<
  MessageEntity,
  'id' | 'clientMessageId' | 'recipientUserId' | 'createdAt' | 'deliveredAt'
>;

/** What the queue holds for a device, as it goes on the wire. */
export type QueueItem = { event: 'message:new'; payload: Envelope } | { event: 'queue:notice'; payload: QueueNotice };

/** Server notices are queue entries too; they carry Signal type 0 (no ciphertext). */
const NOTICE_TYPE = 0;
/** Envelopes examined per expiry transaction. */
const EXPIRY_BATCH = 1_000;
/** `messages` rows deleted per retention statement. */
const PURGE_BATCH = 1_000;

interface SendJob {
  message: MessageEntity;
  envelopes: Omit<EnvelopeEntity, 'id'>[];
}

interface AckJob {
  deviceId: string;
  envelopeIds: string[];
}

/** The store answered "already have this client message id". */
class DuplicateSend extends Error {}

/** An envelope row as the ack and expiry paths read it. */
interface QueuedRow {
  id: string | number;
  deviceId: string;
  kind: string;
  messageId: string | null;
  userId: string;
  conversationUserId: string | null;
}

/** Envelope ids are the decimal AUTO_INCREMENT values. */
const isEnvelopeId = (id: string): boolean => /^[0-9]{1,15}$/.test(id);

/**
 * Splits the envelope rows an ack batch found among its jobs: each job keeps only its own device's
 * ids (a device cannot remove another's queue).
 * @returns per job the ids it removes, and the rows removed
 */
function ownedByJobs(jobs: AckJob[], rows: QueuedRow[]): { removed: string[][]; owned: QueuedRow[] } {
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  const removed = jobs.map((job) => job.envelopeIds.filter((id) => byId.get(id)?.deviceId === job.deviceId));
  return { removed, owned: [...new Set(removed.flat())].map((id) => byId.get(id)!) };
}

/**
 * The messages whose recipient copies are among `rows`: the first ack of one makes it `delivered`
 * (sync copies to the sender's own devices and receipts do not).
 */
const firstCopiesOf = (rows: QueuedRow[]): string[] => [
  ...new Set(rows.filter((r) => r.kind === 'message' && r.userId === r.conversationUserId).map((r) => r.messageId!)),
];

interface DeliveredRow {
  id: string;
  senderUserId: string;
  clientMessageId: string;
  recipientUserId: string;
}

/**
 * Batches of one kind (sends, acks) in flight at once on MySQL: one commit's fsync overlaps the next
 * batch's statements (InnoDB then flushes several commits together). SQLite writes one at a time.
 */
const WRITE_CONCURRENCY = 4;
/** Bytes a send row costs in its batch's INSERT besides the ciphertext (ids, columns, SQL). */
const SEND_ROW_OVERHEAD_BYTES = 400;
/** mysql2's query() inlines a Buffer as X'<hex>': each ciphertext byte costs two in the statement. */
const MYSQL_HEX_FACTOR = 2;
/** Left free in max_allowed_packet for the batch's other statements and the protocol framing. */
const PACKET_HEADROOM_BYTES = 64 * 1024;
/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER (3.32+); the envelope INSERT binds 11 per row. */
const SQLITE_MAX_VARIABLES = 32_766;
const ENVELOPE_COLUMNS = 11;

/** `?, ?, ?` */
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
/** `(?, ?), (?, ?)` for n rows of width columns. */
const rowsOf = (n: number, width: number) => {
  const row = `(${marks(width)})`;
  return Array.from({ length: n }, () => row).join(', ');
};

/**
 * The store-and-forward queue. `send` checks the pair, the device list and the limits, stores one
 * envelope per device through group commit and pushes them to the device rooms after the commit;
 * `ack` removes envelopes and records the first delivery. The server never reads a ciphertext.
 */
@Injectable()
export class MessagingService implements OnModuleInit, OnApplicationShutdown {
  private readonly sends: GroupCommitter<SendJob, EnvelopeEntity[]>;
  private readonly acks: GroupCommitter<AckJob, number>;
  private readonly inflight = new Map<string, Promise<MessageSendAck>>();
  private readonly deliveredListeners: ((messages: DeliveredMessage[]) => void)[] = [];
  private expiryTimer: ReturnType<typeof setInterval> | undefined;
  private readonly singleConnection: boolean;
  /** MySQL `auto_increment_increment` (1 unless the server is set up for multi-primary replication). */
  private idStep = 1;
  private readonly policy: SendPolicy;
  private readonly invalidation: PolicyInvalidation;
  private readonly sendLimits: GroupCommitOptions;
  /** Largest batch statement the database takes (MySQL max_allowed_packet less headroom). */
  private maxStatementBytes = Infinity;
  /** Batches in one round trip on MySQL; null on SQLite (TypeORM's one connection). */
  private readonly writer: MysqlBatchWriter | null;
  private readonly logger = new Logger('MessagingService');
  private readonly sent;
  private readonly refused;
  private readonly expired;

  constructor(
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectRepository(EnvelopeEntity) private readonly envelopes: Repository<EnvelopeEntity>,
    pairing: PairingService,
    private readonly devices: DevicesService,
    private readonly keys: KeysService,
    private readonly emitter: SocketEmitter,
    private readonly rateLimiter: SendRateLimiter,
    private readonly config: AppConfig,
    metrics: MetricsService,
    @Inject(REDIS) redis: RedisClient,
  ) {
    const { flushIntervalMs: intervalMs, flushMaxRows: maxRows, flushMaxBytes: maxBytes } = config.messaging;
    this.singleConnection = config.database.type === 'sqlite';
    const policy = new SendPolicy(pairing, devices, keys, config.messaging.policyCacheMs);
    this.policy = policy;
    this.invalidation = new PolicyInvalidation(
      redis,
      `${config.redisKeyPrefix}send-policy`,
      (change) => (change.kind === 'pair' ? policy.forgetPair(...change.userIds) : policy.forgetDevices(change.userId)),
      () => policy.clear(),
    );
    pairing.onChange((userId, otherUserId) =>
      this.invalidation.publish({ kind: 'pair', userIds: [userId, otherUserId] }),
    );
    const concurrency = this.singleConnection ? 1 : WRITE_CONCURRENCY;
    // One connection per write slot of sends and of acks.
    this.writer =
      config.database.type === 'mysql' ? new MysqlBatchWriter(config.database.url, 2 * WRITE_CONCURRENCY) : null;
    // SQLite binds every value: a batch must stay under its variable limit (one send of at most
    // MESSAGE_MAX_DEVICES rows always does).
    const rowCap = this.singleConnection
      ? Math.min(maxRows, Math.floor(SQLITE_MAX_VARIABLES / ENVELOPE_COLUMNS))
      : maxRows;
    // maxBytes is clamped to max_allowed_packet once it is known (onModuleInit).
    this.sendLimits = { intervalMs, maxRows: rowCap, maxBytes, concurrency };
    this.sends = new GroupCommitter((jobs) => retryDeadlocks(() => this.writeSends(jobs)), this.sendLimits);
    this.acks = new GroupCommitter((jobs) => retryDeadlocks(() => this.writeAcks(jobs)), {
      intervalMs,
      maxRows: rowCap,
      concurrency,
    });
    this.sent = metrics.counter('pairchat_messages_sent_total', 'Messages stored (one per message:send)', [
      'kind',
    ] as const);
    this.refused = metrics.counter('pairchat_messages_refused_total', 'message:send refusals by code', [
      'code',
    ] as const);
    this.expired = metrics.counter('pairchat_envelopes_expired_total', 'Envelopes dropped unread after the TTL');
  }

  async onModuleInit(): Promise<void> {
    if (!this.singleConnection) {
      const [row] = (await this.messages.manager.query('SELECT @@auto_increment_increment AS step')) as {
        step: number;
      }[];
      this.idStep = Number(row?.step ?? 1);
      const [packet] = (await this.messages.manager.query('SELECT @@max_allowed_packet AS bytes')) as {
        bytes: number;
      }[];
      this.maxStatementBytes = Number(packet?.bytes) - PACKET_HEADROOM_BYTES;
      this.sendLimits.maxBytes = Math.min(this.sendLimits.maxBytes ?? Infinity, this.maxStatementBytes);
    }
    await this.invalidation.start();
    // The queue goes in the revoking transaction; caches and sockets only after its commit, so no
    // node reloads the device as active and no reconnect passes the handshake before it.
    this.devices.onRevoke((manager, device) =>
      manager.delete(EnvelopeEntity, { deviceId: device.id }).then(() => undefined),
    );
    this.devices.onChanged(({ userId, deviceId, revoked }) => {
      this.invalidation.publish({ kind: 'devices', userId });
      if (revoked) this.emitter.disconnectDevice(deviceId);
    });
    this.keys.onChanged((userId) => this.invalidation.publish({ kind: 'devices', userId }));
    const sweep = this.config.messaging.expirySweepMs;
    this.expiryTimer = setInterval(
      () =>
        void this.expireEnvelopes()
          .then(() => this.purgeMessages())
          .catch((error: Error) => this.logger.warn(`envelope expiry failed: ${JSON.stringify(loggableError(error))}`)),
      sweep,
    );
    this.expiryTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.expiryTimer);
    await Promise.all([this.sends.close(), this.acks.close(), this.invalidation.stop()]);
    await this.writer?.close();
  }

  /**
   * PairingService#canCommunicate through the send-policy cache (dropped at once on pairing changes),
   * for the gateway's presence checks, which run on every connect.
   */
  canCommunicate(userId: string, otherUserId: string): Promise<boolean> {
    return this.policy.canCommunicate(userId, otherUserId);
  }

  /** Called after each ack commit with the messages that became `delivered` in it. */
  onDelivered(listener: (messages: DeliveredMessage[]) => void): void {
    this.deliveredListeners.push(listener);
  }

  /**
   * Accepts an encrypted message: one envelope per device, stored in one transaction, then pushed.
   * A resend of a client message id already accepted returns the first ack and stores nothing.
   * @throws TOO_MANY_DEVICES, CIPHERTEXT_TOO_LARGE, MESSAGE_TOO_LARGE, RATE_LIMITED, NOT_PAIRED, DEVICES_MISMATCH
   */
  async send(auth: AuthContext, request: MessageSendRequest): Promise<MessageSendAck> {
    this.checkLimits(request);
    const bytes = this.statementBytes(request.envelopes);
    if (bytes > this.maxStatementBytes) {
      // Written alone it would still exceed the packet limit and fail on every retry.
      throw messagingError(
        MessagingErrorCode.MessageTooLarge,
        'the ciphertexts of this message are too large together to store; send fewer or smaller ones',
        // Upper bound of the ciphertext bytes of one message (each envelope also costs a few hundred).
        { maxTotalBytes: Math.floor(this.maxStatementBytes / this.bytesFactor) },
      );
    }
    await this.rateLimiter.consume(auth.deviceId);
    const key = `${auth.deviceId}:${request.clientMessageId}`;
    const running = this.inflight.get(key);
    if (running) return { ...(await running), duplicate: true };
    const attempt = this.store(auth, request);
    this.inflight.set(key, attempt);
    try {
      return await attempt;
    } catch (error) {
      this.refused.inc({ code: (error as { code?: string }).code ?? 'INTERNAL_ERROR' });
      throw error;
    } finally {
      this.inflight.delete(key);
    }
  }

  /**
   * Relays an encrypted typing frame to the devices that are online now; never stored. Devices that
   * are not the recipient's or the sender's own are skipped.
   * @throws RATE_LIMITED, NOT_PAIRED
   */
  async relayTyping(auth: AuthContext, request: TypingSendRequest): Promise<void> {
    this.checkLimits(request);
    await this.rateLimiter.consume(auth.deviceId);
    const [allowed, { ownerOf }] = await Promise.all([
      this.policy.canCommunicate(auth.userId, request.recipientUserId),
      this.checkDevices(auth, { ...request, clientMessageId: '', kind: 'message' }),
    ]);
    if (!allowed) throw messagingError(MessagingErrorCode.NotPaired, 'you can only message users you are paired with');
    const serverTimestamp = new Date().toISOString();
    for (const envelope of request.envelopes) {
      if (!ownerOf.has(envelope.deviceId)) continue;
      this.emitter.sendVolatile('typing:new', deviceRoom(envelope.deviceId), {
        senderUserId: auth.userId,
        senderDeviceId: auth.deviceId,
        type: envelope.type,
        ciphertext: envelope.ciphertext,
        serverTimestamp,
      });
    }
  }

  /**
   * Removes acked envelopes from the device's queue (ids of other devices are ignored) and records
   * the first delivery of each message to its recipient.
   * @returns how many envelopes were removed
   */
  ack(auth: AuthContext, envelopeIds: string[]): Promise<number> {
    return this.acks.submit({ deviceId: auth.deviceId, envelopeIds: [...new Set(envelopeIds)] }, envelopeIds.length);
  }

  /**
   * The device's queue in server order, skipping ids already sent on this connection.
   * @param skip - ids sent and not yet acked; they are not sent twice by one drain
   */
  async pendingFor(deviceId: string, skip: ReadonlySet<string>, limit: number): Promise<QueueItem[]> {
    // Plain SQL: every connect reads its queue at least twice (before and after joining the room).
    const rows = (await this.messages.manager.query(
      `SELECT \`id\`, \`device_id\` AS deviceId, \`user_id\` AS userId, \`kind\`, \`message_id\` AS messageId, \`sender_user_id\` AS senderUserId, \`sender_device_id\` AS senderDeviceId, \`conversation_user_id\` AS conversationUserId, \`type\`, \`ciphertext\`, \`notice\`, \`created_at\` AS createdAt FROM \`envelopes\` WHERE \`device_id\` = ? ORDER BY \`id\` LIMIT ${Number(limit + skip.size)}`,
      [deviceId],
    )) as (Omit<EnvelopeEntity, 'id' | 'createdAt'> & { id: string | number; createdAt: string | number })[];
    return rows
      .map((row) => ({ ...row, id: String(row.id), createdAt: Number(row.createdAt) }))
      .filter((row) => !skip.has(row.id))
      .slice(0, limit)
      .map((row) => this.toQueueItem(row));
  }

  /** Server statuses of the messages `userId` sent to `otherUserId`, newest first. */
  async listSent(userId: string, otherUserId: string, limit: number, before?: number): Promise<SentMessage[]> {
    const query = this.messages
      .createQueryBuilder('m')
      .where('m.sender_user_id = :userId AND m.recipient_user_id = :otherUserId AND m.kind = :kind', {
        userId,
        otherUserId,
        kind: 'message',
      })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .take(limit);
    if (before !== undefined) query.andWhere('m.created_at < :before', { before });
    return query.getMany();
  }

  /**
   * Drops envelopes older than the TTL. Each device that lost some gets a `gap` notice with the
   * count; each device of a sender whose message reached no recipient device gets an `expired`
   * notice. Safe to run on every node at once: a batch another node already took is skipped.
   * @returns how many envelopes expired
   */
  async expireEnvelopes(now = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.expireBatch(now);
      total += result.expired;
      for (const { room, item } of result.notices) this.emitter.send(item.event, room, item.payload as never);
      if (!result.more) break;
    }
    if (total > 0) this.expired.inc(total);
    return total;
  }

  /**
   * Retention: deletes `messages` rows older than the TTL of which no envelope is left. Within the
   * TTL they stay (receipts and idempotent resends read them); past it every envelope has expired.
   * @returns how many rows were deleted
   */
  async purgeMessages(now = Date.now()): Promise<number> {
    const cutoff = now - this.config.messaging.ttlMs;
    const orphan = 'NOT EXISTS (SELECT 1 FROM `envelopes` e WHERE e.`message_id` = `messages`.`id`)';
    let total = 0;
    for (;;) {
      const rows = (await this.messages.manager.query(
        `SELECT \`id\` FROM \`messages\` WHERE \`created_at\` < ? AND ${orphan} ORDER BY \`created_at\` LIMIT ${PURGE_BATCH}`,
        [cutoff],
      )) as { id: string }[];
      if (rows.length === 0) break;
      // Checked again: an envelope cannot appear for an old message, but the rule stays in one place.
      await this.messages.manager.query(
        `DELETE FROM \`messages\` WHERE \`id\` IN (${marks(rows.length)}) AND \`created_at\` < ? AND ${orphan}`,
        [...rows.map((r) => r.id), cutoff],
      );
      total += rows.length;
      if (rows.length < PURGE_BATCH) break;
    }
    return total;
  }

  /** What a send's rows cost in its batch statement. */
  private statementBytes(envelopes: { ciphertext: string }[]): number {
    let bytes = SEND_ROW_OVERHEAD_BYTES; // the messages row
    for (const e of envelopes) bytes += base64DecodedLength(e.ciphertext) * this.bytesFactor + SEND_ROW_OVERHEAD_BYTES;
    return bytes;
  }

  private get bytesFactor(): number {
    return this.singleConnection ? 1 : MYSQL_HEX_FACTOR;
  }

  private checkLimits(request: { envelopes: { deviceId: string; ciphertext: string }[] }): void {
    const { maxDevicesPerMessage, maxCiphertextBytes } = this.config.messaging;
    if (request.envelopes.length > maxDevicesPerMessage) {
      throw messagingError(
        MessagingErrorCode.TooManyDevices,
        `a message may go to at most ${maxDevicesPerMessage} devices`,
        {
          maxDevices: maxDevicesPerMessage,
        },
      );
    }
    const tooLarge = request.envelopes.find((e) => base64DecodedLength(e.ciphertext) > maxCiphertextBytes);
    if (tooLarge) {
      throw messagingError(
        MessagingErrorCode.CiphertextTooLarge,
        `a ciphertext may be at most ${maxCiphertextBytes} bytes`,
        {
          maxBytes: maxCiphertextBytes,
          deviceId: tooLarge.deviceId,
        },
      );
    }
  }

  private async store(auth: AuthContext, request: MessageSendRequest): Promise<MessageSendAck> {
    const [allowed, { mismatch, ownerOf }] = await Promise.all([
      this.policy.canCommunicate(auth.userId, request.recipientUserId),
      this.checkDevices(auth, request),
    ]);
    if (!allowed || mismatch) {
      // A resend of a message accepted before the pair or the devices changed still gets its ack.
      const existing = await this.existingAck(auth.deviceId, request.clientMessageId);
      if (existing) return existing;
      if (!allowed)
        throw messagingError(MessagingErrorCode.NotPaired, 'you can only message users you are paired with');
      throw messagingError(
        MessagingErrorCode.DevicesMismatch,
        'the device list is not current: add the missing, drop the extra and refresh the stale devices, then resend',
        mismatch as unknown as Record<string, unknown>,
      );
    }

    const now = Date.now();
    const message: MessageEntity = {
      id: randomUUID(),
      senderUserId: auth.userId,
      senderDeviceId: auth.deviceId,
      clientMessageId: request.clientMessageId,
      recipientUserId: request.recipientUserId,
      kind: request.kind,
      createdAt: now,
      deliveredAt: null,
    };
    const envelopes = request.envelopes.map((e) => ({
      deviceId: e.deviceId,
      userId: ownerOf.get(e.deviceId)!,
      kind: request.kind,
      messageId: message.id,
      senderUserId: auth.userId,
      senderDeviceId: auth.deviceId,
      conversationUserId: request.recipientUserId,
      type: e.type,
      ciphertext: Buffer.from(e.ciphertext, 'base64'),
      notice: null,
      createdAt: now,
    }));
    let stored: EnvelopeEntity[];
    try {
      const bytes = this.statementBytes(request.envelopes);
      // Keyed by device: its sends are numbered and pushed in the order it sent them.
      stored = await this.sends.submit({ message, envelopes }, envelopes.length + 1, bytes, auth.deviceId);
    } catch (error) {
      if (!(error instanceof DuplicateSend)) throw error;
      const existing = await this.existingAck(auth.deviceId, request.clientMessageId);
      if (!existing) throw error;
      return existing;
    }
    this.sent.inc({ kind: request.kind });

    const serverTimestamp = new Date(now).toISOString();
    const ciphertextOf = new Map(request.envelopes.map((e) => [e.deviceId, e.ciphertext]));
    for (const row of stored) {
      this.emitter.send('message:new', deviceRoom(row.deviceId), {
        ...this.envelopeHeader(row, request.kind),
        ciphertext: ciphertextOf.get(row.deviceId)!,
      });
    }
    // The sending device has the ack; `sent` goes to the sender's other devices, if there are any.
    const otherOwnDevice = [...ownerOf].some(([id, owner]) => owner === auth.userId && id !== auth.deviceId);
    if (request.kind === 'message' && otherOwnDevice) {
      // The control room, not the device room: the latter is joined only after the queue drain.
      this.emitter.sendExcept('message:status', userRoom(auth.userId), deviceControlRoom(auth.deviceId), {
        messageId: message.id,
        clientMessageId: request.clientMessageId,
        recipientUserId: request.recipientUserId,
        status: 'sent',
        at: serverTimestamp,
      });
    }
    return { ok: true, messageId: message.id, serverTimestamp, duplicate: false };
  }

  /**
   * Compares the send's devices with the current active devices of the recipient and the sender.
   * @returns the mismatch (null when exact) and the owner of every current device
   */
  private async checkDevices(
    auth: AuthContext,
    request: MessageSendRequest,
  ): Promise<{ mismatch: DeviceMismatchDetails | null; ownerOf: Map<string, string> }> {
    const [theirs, mine] = await Promise.all([
      this.policy.activeDevices(request.recipientUserId),
      request.recipientUserId === auth.userId ? Promise.resolve([]) : this.policy.activeDevices(auth.userId),
    ]);
    const expected = new Map<string, { userId: string; registrationId: number | null; hasKeys: boolean }>();
    for (const d of theirs) expected.set(d.id, { userId: request.recipientUserId, ...d });
    for (const d of mine) if (d.id !== auth.deviceId) expected.set(d.id, { userId: auth.userId, ...d });

    const submitted = new Set<string>();
    const details: DeviceMismatchDetails = { missing: [], extra: [], stale: [] };
    for (const envelope of request.envelopes) {
      const current = expected.get(envelope.deviceId);
      if (!current || submitted.has(envelope.deviceId)) details.extra.push({ deviceId: envelope.deviceId });
      // A device without a registration id has no keys yet: nothing to be stale against. An envelope
      // without one (queued before it was required) is stale, so the client re-encrypts it.
      else if (current.registrationId !== null && envelope.registrationId !== current.registrationId) {
        details.stale.push({ userId: current.userId, deviceId: envelope.deviceId });
      }
      submitted.add(envelope.deviceId);
    }
    // A device without keys cannot be encrypted to: an envelope for it is accepted, never required.
    for (const [deviceId, { userId, hasKeys }] of expected)
      if (hasKeys && !submitted.has(deviceId)) details.missing.push({ userId, deviceId });
    const mismatched = details.missing.length + details.extra.length + details.stale.length > 0;
    const ownerOf = new Map([...expected].map(([deviceId, { userId }]) => [deviceId, userId]));
    return { mismatch: mismatched ? details : null, ownerOf };
  }

  private async existingAck(senderDeviceId: string, clientMessageId: string): Promise<MessageSendAck | null> {
    const message = await this.messages.findOneBy({ senderDeviceId, clientMessageId });
    if (!message) return null;
    return {
      ok: true,
      messageId: message.id,
      serverTimestamp: new Date(message.createdAt).toISOString(),
      duplicate: true,
    };
  }

  private async writeSends(jobs: SendJob[]): Promise<(EnvelopeEntity[] | Error)[]> {
    try {
      return await this.insertSends(jobs);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (jobs.length === 1) return [new DuplicateSend()];
      // One duplicate fails the whole batch: write each job on its own to find it.
      const results: (EnvelopeEntity[] | Error)[] = [];
      for (const job of jobs) {
        try {
          results.push(...(await this.insertSends([job])));
        } catch (single) {
          results.push(isUniqueViolation(single) ? new DuplicateSend() : (single as Error));
        }
      }
      return results;
    }
  }

  /**
   * One transaction for a batch of sends: multi-row INSERTs, then the envelope ids (the queue order).
   * Plain SQL on purpose: this is the hot path, and backtick-quoted names with `?` placeholders
   * mean the same on MySQL/MariaDB and SQLite.
   */
  private async insertSends(jobs: SendJob[]): Promise<EnvelopeEntity[][]> {
    const messages = jobs.map((j) => j.message);
    const insertMessages = {
      sql: `INSERT INTO \`messages\` (\`id\`, \`sender_user_id\`, \`sender_device_id\`, \`client_message_id\`, \`recipient_user_id\`, \`kind\`, \`created_at\`, \`delivered_at\`) VALUES ${rowsOf(messages.length, 8)}`,
      params: messages.flatMap((m) => [
        m.id,
        m.senderUserId,
        m.senderDeviceId,
        m.clientMessageId,
        m.recipientUserId,
        m.kind,
        m.createdAt,
        null,
      ]),
    };
    const rows = jobs.flatMap((j) => j.envelopes);
    const insertEnvelopes = {
      sql: `INSERT INTO \`envelopes\` (\`device_id\`, \`user_id\`, \`kind\`, \`message_id\`, \`sender_user_id\`, \`sender_device_id\`, \`conversation_user_id\`, \`type\`, \`ciphertext\`, \`notice\`, \`created_at\`) VALUES ${rowsOf(rows.length, 11)}`,
      params: rows.flatMap((e) => [
        e.deviceId,
        e.userId,
        e.kind,
        e.messageId,
        e.senderUserId,
        e.senderDeviceId,
        e.conversationUserId,
        e.type,
        e.ciphertext,
        null,
        e.createdAt,
      ]),
    };
    let inserted: { insertId: number } | number | bigint;
    if (this.writer) {
      // Inserts only: the isolation level changes nothing for them.
      [, inserted] = (await this.writer.transaction([insertMessages, insertEnvelopes])) as [
        unknown,
        { insertId: number },
      ];
    } else {
      inserted = await this.messages.manager.transaction(async (manager) => {
        await manager.query(insertMessages.sql, insertMessages.params);
        return (await manager.query(insertEnvelopes.sql, insertEnvelopes.params)) as number | bigint;
      });
    }
    // One multi-row INSERT gets consecutive ids in row order: SQLite has a single writer, and InnoDB
    // allocates a "simple insert"'s ids in one block in every autoinc lock mode (stepped by
    // auto_increment_increment). MySQL reports the first id, SQLite the last.
    const first = typeof inserted === 'object' ? Number(inserted.insertId) : Number(inserted) - rows.length + 1;
    let i = 0;
    const idOf = new Map(rows.map((e) => [`${e.messageId}:${e.deviceId}`, String(first + this.idStep * i++)]));
    return jobs.map((job) =>
      job.envelopes.map((e) => ({ ...e, id: idOf.get(`${e.messageId}:${e.deviceId}`)! }) as EnvelopeEntity),
    );
  }

  /**
   * MySQL: a batch of acks in two round trips, every statement by primary key. The envelopes are
   * locked and read first; each job keeps only its own device's (so a device cannot remove another's
   * queue). Then the undelivered messages among them are locked and read, moved to delivered, and
   * the envelopes deleted, with the COMMIT: exactly the rows read are reported, so two batches (in
   * the same millisecond, or on two nodes) never both report one delivery.
   */
  private async writeAcksMysql(
    writer: MysqlBatchWriter,
    jobs: AckJob[],
    deliveredAt: number,
  ): Promise<{ removed: string[][]; delivered: DeliveredRow[] }> {
    // Envelope ids are decimal integers; anything else matches no row.
    const ids = [...new Set(jobs.flatMap((j) => j.envelopeIds))].filter(isEnvelopeId).map(Number);
    if (ids.length === 0) return { removed: jobs.map(() => []), delivered: [] };
    const [, finished, { removed, readsMessages }] = await writer.transactionInTwo(
      [
        {
          sql: `SELECT \`id\`, \`device_id\` AS deviceId, \`kind\`, \`message_id\` AS messageId, \`user_id\` AS userId, \`conversation_user_id\` AS conversationUserId FROM \`envelopes\` FORCE INDEX (PRIMARY) WHERE \`id\` IN (${marks(ids.length)}) FOR UPDATE`,
          params: ids,
        },
      ],
      ([locked]) => {
        const { removed, owned } = ownedByJobs(jobs, locked as QueuedRow[]);
        if (owned.length === 0) return { statements: [], result: { removed, readsMessages: false } };
        const candidates = firstCopiesOf(owned);
        const move = candidates.length
          ? [
              {
                sql: `SELECT \`id\`, \`sender_user_id\` AS senderUserId, \`client_message_id\` AS clientMessageId, \`recipient_user_id\` AS recipientUserId FROM \`messages\` FORCE INDEX (PRIMARY) WHERE \`id\` IN (${marks(candidates.length)}) AND \`delivered_at\` IS NULL FOR UPDATE`,
                params: candidates,
              },
              {
                sql: `UPDATE \`messages\` FORCE INDEX (PRIMARY) SET \`delivered_at\` = ? WHERE \`id\` IN (${marks(candidates.length)}) AND \`delivered_at\` IS NULL`,
                params: [deliveredAt, ...candidates],
              },
            ]
          : [];
        const remove = {
          sql: `DELETE e FROM \`envelopes\` e FORCE INDEX (PRIMARY) WHERE e.\`id\` IN (${marks(owned.length)})`,
          params: owned.map((r) => r.id),
        };
        return { statements: [...move, remove], result: { removed, readsMessages: move.length > 0 } };
      },
      'READ COMMITTED',
    );
    return { removed, delivered: readsMessages ? (finished[0] as DeliveredRow[]) : [] };
  }

  private async writeAcks(jobs: AckJob[]): Promise<number[]> {
    const allIds = [...new Set(jobs.flatMap((j) => j.envelopeIds))];
    const deliveredAt = Date.now();
    const { removed, delivered } = this.writer
      ? await this.writeAcksMysql(this.writer, jobs, deliveredAt)
      : await this.transaction(async (manager) => {
          const rows = (await manager.query(
            `SELECT \`id\`, \`device_id\` AS deviceId, \`kind\`, \`message_id\` AS messageId, \`user_id\` AS userId, \`conversation_user_id\` AS conversationUserId FROM \`envelopes\` WHERE \`id\` IN (${marks(allIds.length)})`,
            allIds,
          )) as QueuedRow[];
          const { removed, owned } = ownedByJobs(jobs, rows);
          if (owned.length === 0) return { removed, delivered: [] as DeliveredRow[] };
          await manager.query(
            `DELETE FROM \`envelopes\` WHERE \`id\` IN (${marks(owned.length)})`,
            owned.map((r) => r.id),
          );
          const candidates = firstCopiesOf(owned);
          if (candidates.length === 0) return { removed, delivered: [] as DeliveredRow[] };
          // Only forward: a message already delivered keeps its first delivery time. The undelivered
          // ones are read, then moved: SQLite has one writer, so exactly these rows move, and a
          // batch in the same millisecond cannot report them again.
          const delivered = (await manager.query(
            `SELECT \`id\`, \`sender_user_id\` AS senderUserId, \`client_message_id\` AS clientMessageId, \`recipient_user_id\` AS recipientUserId FROM \`messages\` WHERE \`id\` IN (${marks(candidates.length)}) AND \`delivered_at\` IS NULL`,
            candidates,
          )) as DeliveredRow[];
          if (delivered.length === 0) return { removed, delivered };
          await manager.query(
            `UPDATE \`messages\` SET \`delivered_at\` = ? WHERE \`id\` IN (${marks(delivered.length)}) AND \`delivered_at\` IS NULL`,
            [deliveredAt, ...delivered.map((m) => m.id)],
          );
          return { removed, delivered };
        });
    if (delivered.length > 0) {
      const event = delivered.map((m) => ({
        messageId: m.id,
        clientMessageId: m.clientMessageId,
        senderUserId: m.senderUserId,
        recipientUserId: m.recipientUserId,
        deliveredAt,
      }));
      for (const listener of this.deliveredListeners) listener(event);
    }
    return removed.map((ids) => ids.length);
  }

  private transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    // SQLite: the database module already runs transactions one at a time (one shared connection).
    if (this.singleConnection) return this.messages.manager.transaction(work);
    // READ COMMITTED: no gap locks, so a batch of acks (UPDATE messages by id) never blocks, nor
    // deadlocks with, a batch of sends inserting new messages next to those ids.
    return this.messages.manager.transaction('READ COMMITTED', work);
  }

  /**
   * One batch of expiry. The candidates are read first, then locked and read again inside the
   * transaction: an envelope acked in between is simply not there any more (it was delivered, not
   * lost), and of two nodes expiring at once the second finds the rows gone and notifies nothing.
   * A sender hears `expired` for a message once, when its last undelivered recipient envelope goes.
   */
  private async expireBatch(
    now: number,
  ): Promise<{ expired: number; notices: { room: string; item: QueueItem }[]; more: boolean }> {
    const cutoff = now - this.config.messaging.ttlMs;
    const candidates = (await this.messages.manager.query(
      `SELECT \`id\` FROM \`envelopes\` WHERE \`created_at\` < ? AND \`kind\` IN ('message', 'receipt') ORDER BY \`id\` LIMIT ${EXPIRY_BATCH}`,
      [cutoff],
    )) as { id: string | number }[];
    if (candidates.length === 0) return { expired: 0, notices: [], more: false };
    const ids = candidates.map((c) => c.id);
    const lock = this.singleConnection ? '' : ' FOR UPDATE';

    let notices: { room: string; item: QueueItem }[] = [];
    const expired = await retryDeadlocks(() =>
      this.transaction(async (manager) => {
        notices = [];
        const stale = (await manager.query(
          `SELECT \`id\`, \`device_id\` AS deviceId, \`user_id\` AS userId, \`kind\`, \`message_id\` AS messageId, \`conversation_user_id\` AS conversationUserId FROM \`envelopes\` WHERE \`id\` IN (${marks(ids.length)}) AND \`created_at\` < ?${lock}`,
          [...ids, cutoff],
        )) as {
          id: string | number;
          deviceId: string;
          userId: string;
          kind: string;
          messageId: string | null;
          conversationUserId: string | null;
        }[];
        if (stale.length === 0) return 0; // acked meanwhile, or another node expired them
        const undeliveredIds = [
          ...new Set(
            stale.filter((e) => e.kind === 'message' && e.userId === e.conversationUserId).map((e) => e.messageId!),
          ),
        ].sort();
        // Two nodes expiring different envelopes of one message would each still see the other's
        // envelope and neither would tell the sender: the message rows are locked first (envelopes,
        // then messages, as acks lock them), so the second waits and then sees the first's delete.
        if (lock && undeliveredIds.length > 0)
          await manager.query(
            `SELECT \`id\` FROM \`messages\` WHERE \`id\` IN (${marks(undeliveredIds.length)}) ORDER BY \`id\`${lock}`,
            undeliveredIds,
          );
        await manager.query(
          `DELETE FROM \`envelopes\` WHERE \`id\` IN (${marks(stale.length)})`,
          stale.map((e) => e.id),
        );

        const lostPerDevice = new Map<string, { userId: string; count: number }>();
        for (const e of stale) {
          const entry = lostPerDevice.get(e.deviceId) ?? { userId: e.userId, count: 0 };
          entry.count++;
          lostPerDevice.set(e.deviceId, entry);
        }
        for (const [deviceId, { userId, count }] of lostPerDevice) {
          const row = await this.insertNotice(manager, deviceId, userId, 'gap', { count }, now);
          notices.push({ room: deviceRoom(deviceId), item: this.toQueueItem(row) });
        }

        // Never delivered, and no recipient envelope of it left (else a later batch tells the sender).
        const undelivered = undeliveredIds.length
          ? ((await manager.query(
              `SELECT \`id\`, \`sender_user_id\` AS senderUserId, \`recipient_user_id\` AS recipientUserId FROM \`messages\` m WHERE m.\`id\` IN (${marks(undeliveredIds.length)}) AND m.\`delivered_at\` IS NULL AND NOT EXISTS (SELECT 1 FROM \`envelopes\` e WHERE e.\`message_id\` = m.\`id\` AND e.\`kind\` = 'message' AND e.\`user_id\` = e.\`conversation_user_id\`)`,
              undeliveredIds,
            )) as { id: string; senderUserId: string; recipientUserId: string }[])
          : [];
        const bySender = new Map<string, { senderUserId: string; recipientUserId: string; messageIds: string[] }>();
        for (const m of undelivered) {
          const key = `${m.senderUserId}:${m.recipientUserId}`;
          const entry = bySender.get(key) ?? {
            senderUserId: m.senderUserId,
            recipientUserId: m.recipientUserId,
            messageIds: [],
          };
          entry.messageIds.push(m.id);
          bySender.set(key, entry);
        }
        const senderDevices = new Map<string, string[]>();
        for (const { senderUserId, recipientUserId, messageIds } of bySender.values()) {
          if (!senderDevices.has(senderUserId))
            senderDevices.set(
              senderUserId,
              (await this.devices.list(senderUserId, '')).map((d) => d.id),
            );
          for (const deviceId of senderDevices.get(senderUserId)!) {
            const row = await this.insertNotice(
              manager,
              deviceId,
              senderUserId,
              'expired',
              { recipientUserId, messageIds },
              now,
            );
            notices.push({ room: deviceRoom(deviceId), item: this.toQueueItem(row) });
          }
        }
        return stale.length;
      }),
    );
    // A full batch of candidates means more may wait, however many of them were still there.
    return { expired, notices, more: candidates.length === EXPIRY_BATCH };
  }

  private async insertNotice(
    manager: EntityManager,
    deviceId: string,
    userId: string,
    kind: 'gap' | 'expired',
    data: Record<string, unknown>,
    now: number,
  ): Promise<EnvelopeEntity> {
    const row = manager.create(EnvelopeEntity, {
      deviceId,
      userId,
      kind,
      messageId: null,
      senderUserId: null,
      senderDeviceId: null,
      conversationUserId: null,
      type: NOTICE_TYPE,
      ciphertext: null,
      notice: JSON.stringify(data),
      createdAt: now,
    });
    const result = await manager.insert(EnvelopeEntity, row);
    return { ...row, id: String(result.identifiers[0]!['id']) };
  }

  private envelopeHeader(row: Omit<EnvelopeEntity, 'ciphertext'>, kind: QueuedKind): Omit<Envelope, 'ciphertext'> {
    return {
      id: String(row.id),
      messageId: row.messageId!,
      kind,
      senderUserId: row.senderUserId!,
      senderDeviceId: row.senderDeviceId!,
      recipientUserId: row.conversationUserId!,
      type: row.type as Envelope['type'],
      serverTimestamp: new Date(row.createdAt).toISOString(),
    };
  }

  private toQueueItem(row: EnvelopeEntity): QueueItem {
    const serverTimestamp = new Date(row.createdAt).toISOString();
    if (row.kind === 'gap') {
      const { count } = JSON.parse(row.notice!) as { count: number };
      return { event: 'queue:notice', payload: { id: String(row.id), kind: 'gap', count, serverTimestamp } };
    }
    if (row.kind === 'expired') {
      const { recipientUserId, messageIds } = JSON.parse(row.notice!) as {
        recipientUserId: string;
        messageIds: string[];
      };
      return {
        event: 'queue:notice',
        payload: { id: String(row.id), kind: 'expired', recipientUserId, messageIds, serverTimestamp },
      };
    }
    return {
      event: 'message:new',
      payload: {
        ...this.envelopeHeader(row, row.kind as QueuedKind),
        ciphertext: Buffer.from(row.ciphertext!).toString('base64'),
      },
    };
  }
}

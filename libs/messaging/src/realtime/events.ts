import { z } from 'zod';
import {
  CLIENT_MESSAGE_ID_PATTERN,
  MAX_ACK_IDS,
  MAX_CIPHERTEXT_BYTES_CAP,
  MAX_ENVELOPES_PER_MESSAGE,
  MAX_PRESENCE_QUERY,
} from './limits.js';

/**
 * Wire schema of every Socket.IO event, shared by the api and every client. The two typed maps at
 * the end ({@link ClientToServerEvents}, {@link ServerToClientEvents}) are handed to Socket.IO's
 * generics on both sides, so the api, the SDK and the web app fail to compile when they disagree.
 *
 * Compatibility rule: a payload never changes incompatibly in place; a new event is added beside
 * the old one (`message:newV2`) and the old one is kept until clients have moved.
 */

/** Signal `CiphertextMessageType`: 2 = Whisper (session message), 3 = PreKey, 8 = Plaintext (decryption-error notice). */
export const SIGNAL_MESSAGE_TYPES = [2, 3, 8] as const;
export type SignalMessageType = (typeof SIGNAL_MESSAGE_TYPES)[number];

/** Decoded length of a padded standard base64 string. */
export function base64DecodedLength(value: string): number {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return (value.length / 4) * 3 - padding;
}

const uuid = z.uuid();
/** Standard base64 with padding, as produced by btoa / Buffer#toString('base64'). */
const ciphertext = z
  .string()
  .min(4)
  .max(Math.ceil(MAX_CIPHERTEXT_BYTES_CAP / 3) * 4)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be standard base64');
const isoTime = z.iso.datetime({ offset: false });

export const clientMessageIdSchema = z.string().regex(CLIENT_MESSAGE_ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ -');

/** One ciphertext for one device, as the sender submits it. */
export const outgoingEnvelopeSchema = z.strictObject({
  deviceId: uuid,
  /**
   * The registration id the sender's session was built against (required: a session built for an
   * earlier install must not reach a reinstalled device that got the same protocol id). When it no
   * longer matches the device's current one, the send fails listing the device as stale.
   */
  registrationId: z.number().int().min(1).max(16380),
  type: z.union(SIGNAL_MESSAGE_TYPES.map((t) => z.literal(t))),
  ciphertext,
});
export type OutgoingEnvelope = z.infer<typeof outgoingEnvelopeSchema>;

/**
 * What an envelope carries. `message` and `receipt` (end-to-end encrypted read/delivery receipts)
 * are queued until the device acks; `typing` is ephemeral and travels on its own event.
 */
export const QUEUED_KINDS = ['message', 'receipt'] as const;
export type QueuedKind = (typeof QUEUED_KINDS)[number];

/**
 * `message:send`: one ciphertext per recipient device plus one per the sender's own other devices
 * (sync copies). `clientMessageId` is the idempotency key, unique per sender device.
 */
export const messageSendSchema = z.strictObject({
  clientMessageId: clientMessageIdSchema,
  recipientUserId: uuid,
  kind: z.enum(QUEUED_KINDS).default('message'),
  envelopes: z.array(outgoingEnvelopeSchema).min(1).max(MAX_ENVELOPES_PER_MESSAGE),
});
export type MessageSendPayload = z.input<typeof messageSendSchema>;

/**
 * `message:send` as the server (and a stored outbox) accepts it: `registrationId` may be missing,
 * as in sends queued by clients from before it was required. Such an envelope is answered with
 * DEVICES_MISMATCH listing its device as stale, so the client re-encrypts instead of dropping the
 * message on a VALIDATION_FAILED.
 */
export const messageSendInboundSchema = messageSendSchema.extend({
  envelopes: z
    .array(outgoingEnvelopeSchema.extend({ registrationId: outgoingEnvelopeSchema.shape.registrationId.optional() }))
    .min(1)
    .max(MAX_ENVELOPES_PER_MESSAGE),
});

/** `message:ack`: the device stored these envelopes; they leave its queue. */
export const messageAckSchema = z.strictObject({
  envelopeIds: z
    .array(z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be an envelope id'))
    .min(1)
    .max(MAX_ACK_IDS),
});
export type MessageAckPayload = z.infer<typeof messageAckSchema>;

/** `typing:send`: an encrypted typing frame per device; relayed to online devices only, never stored. */
export const typingSendSchema = z.strictObject({
  recipientUserId: uuid,
  envelopes: z.array(outgoingEnvelopeSchema).min(1).max(MAX_ENVELOPES_PER_MESSAGE),
});
export type TypingSendPayload = z.infer<typeof typingSendSchema>;

/** `presence:get`: online state of some users; only paired users are answered. */
export const presenceGetSchema = z.strictObject({
  userIds: z.array(uuid).min(1).max(MAX_PRESENCE_QUERY),
});
export type PresenceGetPayload = z.infer<typeof presenceGetSchema>;

/** `message:new`: one queued envelope for the receiving device. `id` is what the device acks. */
export const envelopeSchema = z.strictObject({
  id: z.string(),
  messageId: uuid,
  kind: z.enum(QUEUED_KINDS),
  senderUserId: uuid,
  senderDeviceId: uuid,
  /** The conversation: the recipient user (equal to the receiver's own user for a sync copy). */
  recipientUserId: uuid,
  type: z.union(SIGNAL_MESSAGE_TYPES.map((t) => z.literal(t))),
  ciphertext,
  serverTimestamp: isoTime,
});
export type Envelope = z.infer<typeof envelopeSchema>;

/**
 * `queue:notice`: a server-made queue entry, acked like an envelope.
 * `gap`: `count` envelopes for this device expired unread (an explicit hole, never a silent one);
 * `expired`: messages this user sent expired before any device of `recipientUserId` fetched them.
 */
export const queueNoticeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    id: z.string(),
    kind: z.literal('gap'),
    count: z.number().int().positive(),
    serverTimestamp: isoTime,
  }),
  z.strictObject({
    id: z.string(),
    kind: z.literal('expired'),
    recipientUserId: uuid,
    messageIds: z.array(uuid).min(1),
    serverTimestamp: isoTime,
  }),
]);
export type QueueNotice = z.infer<typeof queueNoticeSchema>;

/** `queue:empty`: every envelope queued for this device up to now was sent (and the drain acked). */
export const queueEmptySchema = z.strictObject({});
export type QueueEmpty = z.infer<typeof queueEmptySchema>;

/** Statuses the server knows. `read` is end-to-end encrypted and never passes through the server. */
export const SERVER_STATUSES = ['sent', 'delivered'] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

/**
 * `message:status`: pushed to the sender's devices when a message's status moves forward (`sent` to
 * the other devices only: the sending device has the `message:send` ack).
 */
export const messageStatusSchema = z.strictObject({
  messageId: uuid,
  clientMessageId: clientMessageIdSchema,
  recipientUserId: uuid,
  status: z.enum(SERVER_STATUSES),
  at: isoTime,
});
export type MessageStatusEvent = z.infer<typeof messageStatusSchema>;

/** `typing:new`: an encrypted typing frame from a paired user's device. */
export const typingNewSchema = z.strictObject({
  senderUserId: uuid,
  senderDeviceId: uuid,
  type: z.union(SIGNAL_MESSAGE_TYPES.map((t) => z.literal(t))),
  ciphertext,
  serverTimestamp: isoTime,
});
export type TypingNew = z.infer<typeof typingNewSchema>;

export const presenceSchema = z.strictObject({
  userId: uuid,
  online: z.boolean(),
  /** When the user was last connected; null when never seen since presence state began. */
  lastSeenAt: isoTime.nullable(),
});
export type Presence = z.infer<typeof presenceSchema>;

/**
 * `keys:replenish`: this device's one-time prekeys on the server fell below the threshold; upload
 * more (`PUT /keys`). Counts are what remains.
 */
export const keysReplenishSchema = z.strictObject({
  ecPreKeys: z.number().int().min(0),
  kyberPreKeys: z.number().int().min(0),
});
export type KeysReplenish = z.infer<typeof keysReplenishSchema>;

/**
 * `keys:rotate`: this device's signed EC prekey or last-resort Kyber prekey is due for rotation
 * (`due`, older than the rotation interval) or out of date (`stale`, older than the server's maximum age).
 */
export const keysRotateSchema = z.strictObject({
  reason: z.enum(['due', 'stale']),
  signedPreKeyUploadedAt: isoTime,
  lastResortKyberPreKeyUploadedAt: isoTime,
});
export type KeysRotate = z.infer<typeof keysRotateSchema>;

/**
 * `device:link-completed`: to the new device of a link, once an existing device completed it. The
 * sealed identity is then fetched with `GET /devices/links/:linkId` (also the polling fallback).
 */
export const deviceLinkCompletedSchema = z.strictObject({ linkId: uuid });
export type DeviceLinkCompleted = z.infer<typeof deviceLinkCompletedSchema>;

/** `error`: an inbound event was rejected; nothing was stored. */
export const socketErrorSchema = z.strictObject({
  code: z.string(),
  message: z.string(),
  /** The inbound event that failed. */
  event: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type SocketError = z.infer<typeof socketErrorSchema>;

/** Ack of `message:send`: the first ack is returned again for a resend of the same client message id. */
export const messageSendAckSchema = z.strictObject({
  ok: z.literal(true),
  messageId: uuid,
  serverTimestamp: isoTime,
  /** True when this client message id had already been accepted; nothing new was stored. */
  duplicate: z.boolean(),
});
export type MessageSendAck = z.infer<typeof messageSendAckSchema>;

export const errorAckSchema = z.strictObject({ ok: z.literal(false), error: socketErrorSchema });
export type ErrorAck = z.infer<typeof errorAckSchema>;

export const okAckSchema = z.strictObject({ ok: z.literal(true) });
export type OkAck = z.infer<typeof okAckSchema>;

export const presenceAckSchema = z.strictObject({ ok: z.literal(true), presence: z.array(presenceSchema) });
export type PresenceAck = z.infer<typeof presenceAckSchema>;

/** Handshake: `io(url, { auth: { token } })` with an access token. */
export const handshakeAuthSchema = z.object({ token: z.string().min(1).max(4096) });
export type HandshakeAuth = z.infer<typeof handshakeAuthSchema>;

/**
 * `connect_error` data on a refused handshake (Socket.IO puts it on `err.data`). The code lets the
 * client decide: refresh the token (`TOKEN_EXPIRED`), sign in again on this same device
 * (`SESSION_ENDED`: logged out elsewhere, refresh-token reuse; the device and its keys remain), or
 * forget the device (`DEVICE_REVOKED`: it was removed).
 */
export const HANDSHAKE_ERROR_CODES = [
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'SESSION_ENDED',
  'DEVICE_REVOKED',
] as const;
export type HandshakeErrorCode = (typeof HANDSHAKE_ERROR_CODES)[number];
export interface HandshakeErrorData {
  code: HandshakeErrorCode;
}

type Ack<T> = (answer: T | ErrorAck) => void;

/** Events a client emits; the server answers every one through its ack callback. */
export interface ClientToServerEvents {
  'message:send': (payload: MessageSendPayload, ack: Ack<MessageSendAck>) => void;
  'message:ack': (payload: MessageAckPayload, ack?: Ack<OkAck>) => void;
  'typing:send': (payload: TypingSendPayload, ack?: Ack<OkAck>) => void;
  'presence:get': (payload: PresenceGetPayload, ack: Ack<PresenceAck>) => void;
}

/** Events the server emits to clients. */
export interface ServerToClientEvents {
  'message:new': (envelope: Envelope) => void;
  'queue:notice': (notice: QueueNotice) => void;
  'queue:empty': (payload: QueueEmpty) => void;
  'message:status': (status: MessageStatusEvent) => void;
  'typing:new': (frame: TypingNew) => void;
  'presence:update': (presence: Presence) => void;
  'keys:replenish': (counts: KeysReplenish) => void;
  'keys:rotate': (notice: KeysRotate) => void;
  'device:link-completed': (payload: DeviceLinkCompleted) => void;
  error: (error: SocketError) => void;
}

/** Inbound payload schema per client event: the gateway validates with exactly these. */
export const clientEventSchemas = {
  'message:send': messageSendInboundSchema,
  'message:ack': messageAckSchema,
  'typing:send': typingSendSchema,
  'presence:get': presenceGetSchema,
} as const satisfies Record<keyof ClientToServerEvents, z.ZodType>;

/** Outbound payload schema per server event (used by the SDK to reject malformed frames, and by docs tests). */
export const serverEventSchemas = {
  'message:new': envelopeSchema,
  'queue:notice': queueNoticeSchema,
  'queue:empty': queueEmptySchema,
  'message:status': messageStatusSchema,
  'typing:new': typingNewSchema,
  'presence:update': presenceSchema,
  'keys:replenish': keysReplenishSchema,
  'keys:rotate': keysRotateSchema,
  'device:link-completed': deviceLinkCompletedSchema,
  error: socketErrorSchema,
} as const satisfies Record<keyof ServerToClientEvents, z.ZodType>;

/** Ack schema per client event. */
export const clientAckSchemas = {
  'message:send': messageSendAckSchema,
  'message:ack': okAckSchema,
  'typing:send': okAckSchema,
  'presence:get': presenceAckSchema,
} as const satisfies Record<keyof ClientToServerEvents, z.ZodType>;

export type ClientEventName = keyof ClientToServerEvents;
export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

import { z } from 'zod';
import { clientMessageIdSchema } from './events.js';

/**
 * The plaintext carried inside every ciphertext (what the Signal session encrypts). The server never
 * sees it. Encoded as UTF-8 JSON, then padded like Signal's transport padding so ciphertext length
 * reveals only a coarse size class.
 */

/** Current content version. Decoders reject other versions so a newer sender fails loudly, not silently. */
export const CONTENT_VERSION = 1;

/**
 * Padding block: plaintexts are padded to a multiple of 160 bytes (Signal's `PushTransportDetails`
 * block), so a 1-character and a 100-character text encrypt to the same length.
 */
export const CONTENT_PADDING_BLOCK = 160;

/** Longest message text, in UTF-16 code units: with JSON overhead and padding it stays under 64 KiB. */
export const MAX_TEXT_LENGTH = 16_000;

/** Most message ids one receipt may cover (a conversation opened after a long absence). */
export const MAX_RECEIPT_MESSAGE_IDS = 500;

const millis = z.number().int().nonnegative();

export const messageContentSchema = z.strictObject({
  v: z.literal(CONTENT_VERSION),
  t: z.literal('message'),
  /** The sender's client message id: lets recipients and the sender's other devices deduplicate. */
  id: clientMessageIdSchema,
  text: z.string().min(1).max(MAX_TEXT_LENGTH),
  /** Sender's clock, ms since the epoch (display only; ordering uses the server timestamp). */
  sentAt: millis,
  /**
   * Set on a resend (answer to a {@link resendContentSchema} request): the server message id of
   * the copy the recipient could not decrypt, so it replaces that placeholder in place.
   */
  resendOf: z.uuid().optional(),
});

/** A `read` or `delivered` receipt for messages (server message ids) of one sender. */
export const receiptContentSchema = z.strictObject({
  v: z.literal(CONTENT_VERSION),
  t: z.literal('receipt'),
  type: z.enum(['delivered', 'read']),
  messageIds: z.array(z.uuid()).min(1).max(MAX_RECEIPT_MESSAGE_IDS),
  sentAt: millis,
});

export const typingContentSchema = z.strictObject({
  v: z.literal(CONTENT_VERSION),
  t: z.literal('typing'),
  action: z.enum(['started', 'stopped']),
  sentAt: millis,
});

/**
 * Asks the sender to send these messages (server message ids) again: this device could not decrypt
 * them, reset the session and sends this on a fresh one. The sender re-encrypts them from its
 * history, keeping their `id`s, so recipients that did get them show them once.
 */
export const resendContentSchema = z.strictObject({
  v: z.literal(CONTENT_VERSION),
  t: z.literal('resend'),
  messageIds: z.array(z.uuid()).min(1).max(MAX_RECEIPT_MESSAGE_IDS),
  sentAt: millis,
});

/**
 * Sync transcript: the copy of a message the sender's own other devices receive, naming the
 * conversation it was sent in.
 */
export const syncContentSchema = z.strictObject({
  v: z.literal(CONTENT_VERSION),
  t: z.literal('sync'),
  destinationUserId: z.uuid(),
  message: messageContentSchema,
});

export const contentSchema = z.discriminatedUnion('t', [
  messageContentSchema,
  receiptContentSchema,
  typingContentSchema,
  syncContentSchema,
  resendContentSchema,
]);

export type MessageContent = z.infer<typeof messageContentSchema>;
export type ReceiptContent = z.infer<typeof receiptContentSchema>;
export type TypingContent = z.infer<typeof typingContentSchema>;
export type SyncContent = z.infer<typeof syncContentSchema>;
export type ResendContent = z.infer<typeof resendContentSchema>;
export type Content = z.infer<typeof contentSchema>;

export type ContentErrorCode = 'MALFORMED_PADDING' | 'MALFORMED_CONTENT' | 'UNSUPPORTED_VERSION';

/** A decrypted plaintext that is not valid content. `code` says why. */
export class ContentError extends Error {
  constructor(
    readonly code: ContentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ContentError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Serialises and pads content for encryption.
 * @param content - validated against {@link contentSchema}
 * @returns UTF-8 JSON, then 0x80, then zeros up to a multiple of {@link CONTENT_PADDING_BLOCK}
 * @throws TypeError when the content does not match the schema
 */
export function encodeContent(content: Content): Uint8Array {
  const parsed = contentSchema.safeParse(content);
  if (!parsed.success) throw new TypeError(`content: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const json = encoder.encode(JSON.stringify(parsed.data));
  const padded = new Uint8Array(Math.ceil((json.length + 1) / CONTENT_PADDING_BLOCK) * CONTENT_PADDING_BLOCK);
  padded.set(json);
  padded[json.length] = 0x80;
  return padded;
}

/**
 * Strips the padding and parses decrypted content.
 * @param plaintext - output of the session cipher
 * @throws ContentError MALFORMED_PADDING, UNSUPPORTED_VERSION or MALFORMED_CONTENT
 */
export function decodeContent(plaintext: Uint8Array): Content {
  let end = plaintext.length - 1;
  while (end >= 0 && plaintext[end] === 0) end--;
  if (end < 0 || plaintext[end] !== 0x80) throw new ContentError('MALFORMED_PADDING', 'content padding is malformed');
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(plaintext.subarray(0, end)));
  } catch {
    throw new ContentError('MALFORMED_CONTENT', 'content is not UTF-8 JSON');
  }
  const version = (value as { v?: unknown } | null)?.v;
  if (version !== CONTENT_VERSION) {
    throw new ContentError('UNSUPPORTED_VERSION', `content version ${String(version)} is not supported`);
  }
  const parsed = contentSchema.safeParse(value);
  if (!parsed.success) throw new ContentError('MALFORMED_CONTENT', 'content does not match its schema');
  return parsed.data;
}

import type { ServerStatus } from '../realtime/events.js';

/** Most receipts one page of GET /conversations/:userId/receipts returns. */
export const RECEIPTS_PAGE_MAX = 200;

/**
 * Server-known status of one message the caller sent (GET /conversations/:userId/receipts).
 * `read` is never here: read receipts are end-to-end encrypted.
 */
export interface MessageReceiptDto {
  messageId: string;
  clientMessageId: string;
  recipientUserId: string;
  status: ServerStatus;
  /** When the server stored it (ISO-8601). */
  sentAt: string;
  /** When the first recipient device acked it (ISO-8601), null while only `sent`. */
  deliveredAt: string | null;
}

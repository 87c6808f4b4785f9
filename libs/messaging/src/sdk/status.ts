import { TypedEmitter } from './emitter.js';

/**
 * Status of a message this device sent, as its sender sees it. `pending` (in the outbox),
 * `sent` (stored by the server), `delivered` (a recipient device stored it), `read` (the recipient
 * opened it: learnt only from an end-to-end encrypted receipt). `failed` means the server refused
 * the message for good; it is reachable only from `pending`.
 */
export const MESSAGE_STATUSES = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const RANK: Record<MessageStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 1 };

/**
 * The one rule of statuses: they only move forward. A late `delivered` after `read` is ignored, and
 * nothing leaves `failed` or reaches it once the server has the message.
 * @returns the status to keep
 */
export function advanceStatus(current: MessageStatus, next: MessageStatus): MessageStatus {
  if (current === 'failed') return current;
  if (next === 'failed') return current === 'pending' ? 'failed' : current;
  return RANK[next] > RANK[current] ? next : current;
}

export interface StatusChange {
  clientMessageId: string;
  /** Server message id, once the server has acked. */
  messageId: string | undefined;
  status: MessageStatus;
}

interface StatusEvents {
  status: (change: StatusChange) => void;
}

/**
 * Statuses of the messages this device (or, through sync and server status events, this account)
 * sent, keyed by client message id. Receipts name server message ids, so the tracker also maps
 * those. Emits `status` exactly when a status moves forward.
 */
export class StatusTracker extends TypedEmitter<StatusEvents> {
  private readonly byClientId = new Map<string, { messageId: string | undefined; status: MessageStatus }>();
  private readonly clientIdByMessageId = new Map<string, string>();

  get(clientMessageId: string): MessageStatus | undefined {
    return this.byClientId.get(clientMessageId)?.status;
  }

  /** Status by server message id. */
  getByMessageId(messageId: string): MessageStatus | undefined {
    const clientId = this.clientIdByMessageId.get(messageId);
    return clientId === undefined ? undefined : this.get(clientId);
  }

  /**
   * Applies a status observation. Returns true when it moved the status forward (and emitted).
   * @param messageId - the server id, when known; links receipts (which name it) to the message
   */
  apply(clientMessageId: string, status: MessageStatus, messageId?: string): boolean {
    const entry = this.byClientId.get(clientMessageId) ?? { messageId: undefined, status: 'pending' as const };
    const isNew = !this.byClientId.has(clientMessageId);
    if (messageId !== undefined && entry.messageId === undefined) {
      entry.messageId = messageId;
      this.clientIdByMessageId.set(messageId, clientMessageId);
    }
    const next = isNew ? status : advanceStatus(entry.status, status);
    this.byClientId.set(clientMessageId, entry);
    if (!isNew && next === entry.status) return false;
    entry.status = next;
    this.emit('status', { clientMessageId, messageId: entry.messageId, status: next });
    return true;
  }

  /**
   * Applies a decrypted receipt. Message ids this tracker does not know (sent before a reload, or
   * by another device) are returned so the caller can update its own store.
   */
  applyReceipt(type: 'delivered' | 'read', messageIds: readonly string[]): string[] {
    const unknown: string[] = [];
    for (const messageId of messageIds) {
      const clientId = this.clientIdByMessageId.get(messageId);
      if (clientId === undefined) unknown.push(messageId);
      else this.apply(clientId, type);
    }
    return unknown;
  }
}

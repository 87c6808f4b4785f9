/**
 * The chat's view model: what `useChatStore` (stores/chat.ts) exposes to the conversation screens.
 * Plaintext lives only here and in this device's encrypted IndexedDB history; the server sees the
 * ciphertexts the chat service sends.
 * @module
 */
import type { MessageStatus } from '@pairchat/messaging';

/** A conversation is keyed by the other user's account id (1:1 chats between pairs). */
export type ConversationId = string;

/**
 * What a timeline row is.
 * - `text`: a message, sent or received.
 * - `undecryptable`: an envelope that could not be decrypted; the session was reset and a resend
 *   was asked for. Replaced in place by the `text` row if the resend arrives.
 * - `gap`: the server said envelopes for this device expired unread (`count` of them).
 * - `identity-change`: the contact's safety number changed (verification cleared).
 */
export type ChatItemKind = 'text' | 'undecryptable' | 'gap' | 'identity-change';

export interface ChatItem {
  /** Stable id: the sender's client message id for `text`, a local id otherwise. Unique per conversation. */
  id: string;
  conversationId: ConversationId;
  kind: ChatItemKind;
  /** `out`: sent by this account (this device or, via sync copies, another of its devices). */
  direction: 'in' | 'out' | 'system';
  /** Message text (`text` rows only). */
  text: string | null;
  /** Sender's clock, ms since the epoch (display). */
  sentAt: number;
  /** Server timestamp, ms since the epoch, once known; ordering uses it, then `sentAt`. */
  serverAt: number | null;
  /** Outgoing rows: only moves forward (pending -> sent -> delivered -> read; failed from pending). */
  status: MessageStatus | null;
  /** Incoming rows: true once this device sent a read receipt for it. */
  read: boolean;
  /** Server message id, once known (receipts name it). */
  messageId: string | null;
  /** `gap` rows: how many envelopes expired. */
  count?: number;
}

export interface ConversationSummary {
  id: ConversationId;
  /** The contact's handle. */
  handle: string;
  lastItem: ChatItem | null;
  unread: number;
  online: boolean;
  /** ISO time the contact was last seen, when offline and known. */
  lastSeenAt: string | null;
  /** The contact is typing right now (cleared after a few seconds without a frame). */
  typing: boolean;
  /** The contact's identity key changed since we last accepted it. */
  identityChanged: boolean;
}

/** Where the chat connection stands, for the banner ("Connecting…", "Offline: messages will be sent later"). */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline';

/** Page of history read from this device's store, oldest first. */
export interface HistoryPage {
  items: ChatItem[];
  /** False once the first message of the conversation is in memory. */
  hasMore: boolean;
}

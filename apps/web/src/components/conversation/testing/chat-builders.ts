import type { ChatItem, ConversationSummary } from '@/chat/types.js';

let sequence = 0;

/** A timeline item; a received text message unless overridden. */
export function aChatItem(overrides: Partial<ChatItem> = {}): ChatItem {
  sequence += 1;
  const sentAt = overrides.sentAt ?? Date.UTC(2026, 11, 3, 12, 0, sequence % 60);
  return {
    id: `item-${sequence}`,
    conversationId: 'user-bob',
    kind: 'text',
    direction: 'in',
    text: `message ${sequence}`,
    sentAt,
    serverAt: sentAt,
    status: null,
    read: false,
    messageId: `msg-${sequence}`,
    ...overrides,
  };
}

/** An outgoing text message with `status`. */
export function anOutgoingItem(status: ChatItem['status'], overrides: Partial<ChatItem> = {}): ChatItem {
  return aChatItem({ direction: 'out', status, read: true, ...overrides });
}

/** A conversation with @bob unless overridden. */
export function aConversation(overrides: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id: 'user-bob',
    handle: 'bob',
    lastItem: null,
    unread: 0,
    online: false,
    lastSeenAt: null,
    typing: false,
    identityChanged: false,
    ...overrides,
  };
}

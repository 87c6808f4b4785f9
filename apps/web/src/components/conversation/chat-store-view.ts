import type { ChatItem, ConnectionState, ConversationSummary, HistoryPage } from '@/chat/types.js';

/**
 * What the chat screens use of `useChatStore` (stores/chat.ts). Screens take it as a prop, so their
 * tests drive them with a small fake.
 */
export interface ChatStoreView {
  /** Sorted by last activity, newest first. */
  readonly conversations: readonly ConversationSummary[];
  readonly connection: ConnectionState;
  /** This tab cannot use its database: `reload` (upgraded by a newer tab) or `close-other-tabs`. */
  readonly storageProblem?: 'reload' | 'close-other-tabs' | null;
  /** One of the user's own devices presented another identity key (it gets no copies of sent messages). */
  readonly ownIdentityMismatch?: boolean;
  /** Reactive timeline of one conversation, oldest first. */
  items(conversationId: string): readonly ChatItem[];
  loadOlder(conversationId: string): Promise<HistoryPage>;
  send(conversationId: string, text: string): unknown;
  markRead(conversationId: string): unknown;
  setTyping(conversationId: string, active: boolean): unknown;
  retry(itemId: string): unknown;
}

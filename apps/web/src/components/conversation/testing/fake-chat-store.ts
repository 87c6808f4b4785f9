import { reactive } from 'vue';
import type { ChatItem, ConnectionState, ConversationSummary, HistoryPage } from '@/chat/types.js';
import type { ChatStoreView } from '../chat-store-view.js';

/** An in-memory ChatStoreView that records what the screens asked of it. */
export function fakeChatStore(
  options: { conversations?: ConversationSummary[]; items?: Record<string, ChatItem[]> } = {},
) {
  const calls = reactive({
    send: [] as [string, string][],
    markRead: [] as string[],
    typing: [] as [string, boolean][],
    retry: [] as string[],
    loadOlder: [] as string[],
  });
  const timeline = reactive<Record<string, ChatItem[]>>({ ...options.items });
  const state = reactive({
    conversations: options.conversations ?? [],
    connection: 'online' as ConnectionState,
  });
  let pages: HistoryPage[] = [];

  const store: ChatStoreView = {
    get conversations() {
      return state.conversations;
    },
    get connection() {
      return state.connection;
    },
    items: (id) => (timeline[id] ??= []),
    async loadOlder(id) {
      calls.loadOlder.push(id);
      const next = pages.shift() ?? { items: [], hasMore: false };
      timeline[id] = [...next.items, ...(timeline[id] ?? [])];
      return next;
    },
    send: (id, text) => calls.send.push([id, text]),
    markRead: (id) => calls.markRead.push(id),
    setTyping: (id, active) => calls.typing.push([id, active]),
    retry: (id) => calls.retry.push(id),
  };
  return {
    store,
    state,
    timeline,
    calls,
    /** Pages loadOlder answers, in order (then an empty last page). */
    givePages(next: HistoryPage[]) {
      pages = next;
    },
  };
}

/**
 * Text for a conversation's row in the list: the last message (decrypted on this device), what
 * happened, or that the contact is typing; and the contact's presence.
 * @module
 */
import type { ChatItem, ConversationSummary } from '@/chat/types.js';
import { formatTime, itemTime, localDay } from './timeline-rows.js';

const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** The preview line under the contact's handle. */
export function previewText(summary: ConversationSummary): string {
  if (summary.typing) return 'typing…';
  const item = summary.lastItem;
  if (!item) return 'No messages yet';
  return itemSummary(item);
}

/** One line describing an item, prefixed with "You: " for outgoing text. */
export function itemSummary(item: ChatItem): string {
  switch (item.kind) {
    case 'text': {
      const text = (item.text ?? '').replace(/\s+/g, ' ').trim();
      return item.direction === 'out' ? `You: ${text}` : text;
    }
    case 'undecryptable':
      return 'A message couldn’t be decrypted';
    case 'gap':
      return `${item.count ?? 'Some'} message${item.count === 1 ? '' : 's'} expired`;
    case 'identity-change':
      return 'Safety number changed';
  }
}

/** "14:05" today, "Yesterday", else "3 Dec". */
export function listTime(time: number, now: number): string {
  if (localDay(time) === localDay(now)) return formatTime(time);
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (localDay(time) === localDay(yesterday.getTime())) return 'Yesterday';
  return shortDate.format(time);
}

/** The time of the conversation's last activity, if any. */
export function lastActivity(summary: ConversationSummary): number | null {
  return summary.lastItem ? itemTime(summary.lastItem) : null;
}

/** "online", "last seen today at 14:05", "last seen 3 Dec", or null when unknown. */
export function presenceText(summary: Pick<ConversationSummary, 'online' | 'lastSeenAt'>, now: number): string | null {
  if (summary.online) return 'online';
  if (!summary.lastSeenAt) return null;
  const time = Date.parse(summary.lastSeenAt);
  if (Number.isNaN(time)) return null;
  if (localDay(time) === localDay(now)) return `last seen today at ${formatTime(time)}`;
  const when = listTime(time, now);
  return when === 'Yesterday' ? `last seen yesterday at ${formatTime(time)}` : `last seen ${when}`;
}

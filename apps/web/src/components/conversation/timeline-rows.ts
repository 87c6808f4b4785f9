/**
 * The message list's rows: the store's items (oldest first) with a day separator before the first
 * item of each local calendar day. Pure, so the list logic is tested without a DOM.
 * @module
 */
import type { ChatItem } from '@/chat/types.js';

export type TimelineRow =
  { kind: 'day'; key: string; label: string; day: string } | { kind: 'item'; key: string; item: ChatItem };

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const yearFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** When an item happened for display and grouping: the server's time once known, else the sender's. */
export function itemTime(item: ChatItem): number {
  return item.serverAt ?? item.sentAt;
}

/** Local calendar day as YYYY-MM-DD. */
export function localDay(time: number): string {
  const date = new Date(time);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "Today", "Yesterday", "Monday 30 November", or with the year when it is not this year. */
export function dayLabel(time: number, now: number): string {
  const day = localDay(time);
  if (day === localDay(now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (day === localDay(yesterday.getTime())) return 'Yesterday';
  return new Date(time).getFullYear() === new Date(now).getFullYear()
    ? dayFormat.format(time)
    : yearFormat.format(time);
}

/** "14:05" in the user's locale. */
export function formatTime(time: number): string {
  return timeFormat.format(time);
}

/** Items interleaved with day separators. */
export function timelineRows(items: readonly ChatItem[], now: number): TimelineRow[] {
  const rows: TimelineRow[] = [];
  let currentDay: string | null = null;
  for (const item of items) {
    const time = itemTime(item);
    const day = localDay(time);
    if (day !== currentDay) {
      currentDay = day;
      rows.push({ kind: 'day', key: `day:${day}`, label: dayLabel(time, now), day });
    }
    rows.push({ kind: 'item', key: item.id, item });
  }
  return rows;
}

/**
 * How many rows after `lastSeenKey` are incoming: the count on the "new messages" button while the
 * reader is scrolled up. `lastSeenKey` null: none seen yet, nothing counted.
 */
export function newIncomingSince(rows: readonly TimelineRow[], lastSeenKey: string | null): number {
  if (lastSeenKey === null) return 0;
  const index = rows.findIndex((row) => row.key === lastSeenKey);
  if (index < 0) return 0;
  let count = 0;
  for (let i = index + 1; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.kind === 'item' && row.item.direction === 'in') count++;
  }
  return count;
}

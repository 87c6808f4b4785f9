import { describe, expect, it } from 'vitest';
import { aChatItem } from './testing/chat-builders.js';
import { dayLabel, newIncomingSince, timelineRows } from './timeline-rows.js';

const at = (day: number, hour: number) => new Date(2026, 11, day, hour).getTime();

describe('timelineRows', () => {
  it('puts a day separator before the first item of each day', () => {
    const items = [
      aChatItem({ id: 'a', serverAt: at(1, 9) }),
      aChatItem({ id: 'b', serverAt: at(1, 22) }),
      aChatItem({ id: 'c', serverAt: at(3, 8) }),
    ];

    const rows = timelineRows(items, at(3, 12));

    expect(rows.map((row) => row.key)).toEqual(['day:2026-12-01', 'a', 'b', 'day:2026-12-03', 'c']);
    expect(rows[3]).toMatchObject({ kind: 'day', label: 'Today' });
  });

  it('falls back to the sender time before the server time is known', () => {
    const rows = timelineRows([aChatItem({ id: 'p', serverAt: null, sentAt: at(2, 10) })], at(3, 12));
    expect(rows[0]).toMatchObject({ kind: 'day', label: 'Yesterday', day: '2026-12-02' });
  });

  it('keeps the store order', () => {
    const items = [aChatItem({ id: 'z' }), aChatItem({ id: 'y' })];
    expect(
      timelineRows(items, Date.now())
        .filter((row) => row.kind === 'item')
        .map((row) => row.key),
    ).toEqual(['z', 'y']);
  });
});

describe('dayLabel', () => {
  it('names the weekday this year and adds the year before', () => {
    expect(dayLabel(at(1, 9), at(3, 9))).toMatch(/Tuesday/);
    expect(dayLabel(new Date(2025, 0, 5).getTime(), at(3, 9))).toMatch(/2025/);
  });
});

describe('newIncomingSince', () => {
  it('counts incoming rows after the last one seen, not outgoing ones', () => {
    const rows = timelineRows(
      [
        aChatItem({ id: 'a' }),
        aChatItem({ id: 'b' }),
        aChatItem({ id: 'c', direction: 'out' }),
        aChatItem({ id: 'd' }),
      ],
      Date.now(),
    );
    expect(newIncomingSince(rows, 'a')).toBe(2);
    expect(newIncomingSince(rows, 'd')).toBe(0);
    expect(newIncomingSince(rows, null)).toBe(0);
  });
});

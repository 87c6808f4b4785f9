/**
 * Where the message list should be scrolled after its rows change. The list keeps one of two
 * anchors: the bottom (pinned: new rows scroll into view), or the row at the top of the viewport
 * and its distance from it (older rows prepended, or rows above measured at a new height, leave
 * what the reader is looking at where it was).
 * @module
 */
import { rowAt } from './virtual-window.js';

/** Within this many pixels of the end counts as "at the bottom" (sub-pixel scroll positions, zoom). */
export const PINNED_THRESHOLD_PX = 32;

export type ScrollAnchor = { kind: 'bottom' } | { kind: 'row'; key: string; offset: number };

/** True when the viewport shows the end of the content. */
export function isAtBottom(scrollTop: number, scrollHeight: number, clientHeight: number): boolean {
  return scrollHeight - clientHeight - scrollTop <= PINNED_THRESHOLD_PX;
}

/**
 * The anchor to keep for the current scroll position.
 * @param keys row keys, in order
 * @param offsets prefix sums of row heights (virtual-window `rowOffsets`)
 */
export function captureAnchor(
  keys: readonly string[],
  offsets: Float64Array,
  scrollTop: number,
  atBottom: boolean,
): ScrollAnchor {
  if (atBottom || keys.length === 0) return { kind: 'bottom' };
  const index = rowAt(offsets, scrollTop);
  return { kind: 'row', key: keys[index]!, offset: scrollTop - offsets[index]! };
}

/**
 * The scrollTop that keeps `anchor` in place after the rows changed; `null` when the anchored row
 * is gone (keep the current position).
 */
export function restoreAnchor(
  anchor: ScrollAnchor,
  keys: readonly string[],
  offsets: Float64Array,
  clientHeight: number,
): number | null {
  const total = offsets[offsets.length - 1] ?? 0;
  if (anchor.kind === 'bottom') return Math.max(0, total - clientHeight);
  const index = keys.indexOf(anchor.key);
  if (index < 0) return null;
  return Math.max(0, offsets[index]! + anchor.offset);
}

/** True when the reader is near the top and older history should be loaded. */
export function wantsOlder(scrollTop: number, clientHeight: number): boolean {
  return scrollTop <= clientHeight;
}

/**
 * Windowing for the message list: which rows to render for a scroll position, given each row's
 * height (measured once rendered, estimated before). Pure functions over a prefix-sum array, so a
 * scroll event costs a binary search, not a walk over 5,000 rows.
 * @module
 */

/** Height assumed for a row that has not been rendered yet (one line of text plus padding). */
export const ESTIMATED_ROW_HEIGHT = 56;

/** Rows rendered beyond each edge of the viewport, in pixels, so fast scrolling shows no blank. */
export const OVERSCAN_PX = 600;

/** The rows to render and the space the others take. `end` is exclusive. */
export interface VirtualWindow {
  start: number;
  end: number;
  /** Height of rows [0, start): the spacer above the rendered rows. */
  before: number;
  /** Height of rows [end, count): the spacer below. */
  after: number;
  total: number;
}

/**
 * Prefix sums of row heights: `offsets[i]` is the top of row i, `offsets[count]` the total.
 * @param heights height of each row in px (negative or NaN treated as 0)
 */
export function rowOffsets(heights: readonly number[]): Float64Array {
  const offsets = new Float64Array(heights.length + 1);
  for (let i = 0; i < heights.length; i++) {
    const height = heights[i]!;
    offsets[i + 1] = offsets[i]! + (height > 0 ? height : 0);
  }
  return offsets;
}

/** Index of the row containing pixel `y` (the last row whose top is <= y), clamped to [0, count-1]. */
export function rowAt(offsets: Float64Array, y: number): number {
  const count = offsets.length - 1;
  if (count <= 0) return 0;
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (offsets[mid]! <= y) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * The rows intersecting [scrollTop - overscan, scrollTop + viewport + overscan].
 * @param offsets from {@link rowOffsets}
 * @param scrollTop the scroller's scrollTop (clamped to the content)
 * @param viewport the scroller's clientHeight
 * @param overscan extra pixels rendered above and below
 */
export function visibleWindow(
  offsets: Float64Array,
  scrollTop: number,
  viewport: number,
  overscan = OVERSCAN_PX,
): VirtualWindow {
  const count = offsets.length - 1;
  const total = offsets[count] ?? 0;
  if (count <= 0) return { start: 0, end: 0, before: 0, after: 0, total: 0 };
  const top = Math.max(0, Math.min(scrollTop, total) - overscan);
  const bottom = Math.max(0, scrollTop) + Math.max(0, viewport) + overscan;
  const start = rowAt(offsets, top);
  let end = rowAt(offsets, bottom) + 1;
  if (end <= start) end = Math.min(count, start + 1);
  return { start, end, before: offsets[start]!, after: total - offsets[end]!, total };
}

import { describe, expect, it } from 'vitest';
import { captureAnchor, isAtBottom, restoreAnchor, wantsOlder } from './scroll-anchor.js';
import { rowOffsets } from './virtual-window.js';

describe('isAtBottom', () => {
  it('is true at the end and within the threshold, false further up', () => {
    expect(isAtBottom(500, 1000, 500)).toBe(true);
    expect(isAtBottom(480.5, 1000, 500)).toBe(true);
    expect(isAtBottom(400, 1000, 500)).toBe(false);
  });

  it('is true when the content is shorter than the viewport', () => {
    expect(isAtBottom(0, 300, 500)).toBe(true);
  });
});

describe('captureAnchor and restoreAnchor', () => {
  const keys = ['a', 'b', 'c', 'd'];
  const offsets = rowOffsets([100, 100, 100, 100]);

  it('keeps the bottom when pinned', () => {
    const anchor = captureAnchor(keys, offsets, 200, true);
    expect(anchor).toEqual({ kind: 'bottom' });

    const grown = rowOffsets([100, 100, 100, 100, 80]);
    expect(restoreAnchor(anchor, [...keys, 'e'], grown, 200)).toBe(280);
  });

  it('keeps the row at the top of the viewport in place when older rows are prepended', () => {
    const anchor = captureAnchor(keys, offsets, 130, false);
    expect(anchor).toEqual({ kind: 'row', key: 'b', offset: 30 });

    const prepended = ['x', 'y', ...keys];
    const next = rowOffsets([40, 60, 100, 100, 100, 100]);
    expect(restoreAnchor(anchor, prepended, next, 200)).toBe(230);
  });

  it('absorbs a row above the viewport changing height after it is measured', () => {
    const anchor = captureAnchor(keys, offsets, 250, false);
    const measured = rowOffsets([180, 100, 100, 100]);
    expect(restoreAnchor(anchor, keys, measured, 200)).toBe(330);
  });

  it('gives up when the anchored row is gone', () => {
    const anchor = captureAnchor(keys, offsets, 130, false);
    expect(restoreAnchor(anchor, ['a', 'c'], rowOffsets([100, 100]), 200)).toBeNull();
  });
});

describe('wantsOlder', () => {
  it('asks for older history within one screen of the top', () => {
    expect(wantsOlder(0, 600)).toBe(true);
    expect(wantsOlder(600, 600)).toBe(true);
    expect(wantsOlder(601, 600)).toBe(false);
  });
});

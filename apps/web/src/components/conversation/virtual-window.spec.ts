import { describe, expect, it } from 'vitest';
import { rowAt, rowOffsets, visibleWindow } from './virtual-window.js';

describe('rowOffsets', () => {
  it('gives each row its top and the total last', () => {
    expect([...rowOffsets([10, 20, 30])]).toEqual([0, 10, 30, 60]);
  });

  it('treats negative and NaN heights as empty', () => {
    expect([...rowOffsets([10, -5, Number.NaN, 5])]).toEqual([0, 10, 10, 10, 15]);
  });
});

describe('rowAt', () => {
  const offsets = rowOffsets([10, 20, 30]);

  it('finds the row containing a pixel', () => {
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 9.9)).toBe(0);
    expect(rowAt(offsets, 10)).toBe(1);
    expect(rowAt(offsets, 59)).toBe(2);
  });

  it('clamps outside the content', () => {
    expect(rowAt(offsets, -100)).toBe(0);
    expect(rowAt(offsets, 1000)).toBe(2);
    expect(rowAt(rowOffsets([]), 5)).toBe(0);
  });
});

describe('visibleWindow', () => {
  const uniform = rowOffsets(Array.from({ length: 5000 }, () => 50));

  it('renders only the viewport plus overscan of 5,000 rows', () => {
    const sut = visibleWindow(uniform, 100_000, 500, 100);

    expect(sut.start).toBe(1998);
    expect(sut.end).toBe(2013);
    expect(sut.end - sut.start).toBeLessThan(20);
    expect(sut.before).toBe(1998 * 50);
    expect(sut.before + (sut.end - sut.start) * 50 + sut.after).toBe(sut.total);
    expect(sut.total).toBe(250_000);
  });

  it('starts at the first row at the top and ends at the last row at the bottom', () => {
    expect(visibleWindow(uniform, 0, 500, 0)).toMatchObject({ start: 0, end: 11, before: 0 });
    const bottom = visibleWindow(uniform, 250_000 - 500, 500, 0);
    expect(bottom).toMatchObject({ end: 5000, after: 0 });
  });

  it('uses measured variable heights', () => {
    const offsets = rowOffsets([100, 20, 20, 20, 300, 20]);

    const sut = visibleWindow(offsets, 150, 60, 0);

    expect(sut).toMatchObject({ start: 3, end: 5, before: 140, after: 20, total: 480 });
  });

  it('clamps a scroll position past the end to the last rows', () => {
    const sut = visibleWindow(rowOffsets([50, 50, 50]), 10_000, 100, 0);
    expect(sut.end).toBe(3);
    expect(sut.start).toBe(2);
  });

  it('is empty without rows', () => {
    expect(visibleWindow(rowOffsets([]), 0, 500)).toEqual({ start: 0, end: 0, before: 0, after: 0, total: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { removeById, upsertById } from './collections.js';

const item = (id: string, label = id) => ({ id, label });

describe(upsertById.name, () => {
  it('puts a new item first', () => {
    expect(upsertById([item('a')], item('b'))).toEqual([item('b'), item('a')]);
  });

  it('replaces an item with the same id in place, without duplicating it', () => {
    expect(upsertById([item('a'), item('b'), item('c')], item('b', 'new'))).toEqual([
      item('a'),
      item('b', 'new'),
      item('c'),
    ]);
  });
});

describe(removeById.name, () => {
  it('removes only the item with the id', () => {
    expect(removeById([item('a'), item('b')], 'a')).toEqual([item('b')]);
    expect(removeById([item('a')], 'zzz')).toEqual([item('a')]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { serializeSqliteAccess } from './sqlite-serializer.js';

const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

describe(serializeSqliteAccess.name, () => {
  let sut: DataSource;
  beforeEach(async () => {
    sut = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    serializeSqliteAccess(sut);
    await sut.query('CREATE TABLE t (id integer PRIMARY KEY)');
  });
  afterEach(() => sut.destroy());

  it('runs concurrent transactions one after another, each committing or rolling back alone', async () => {
    const results = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((i) =>
        sut.manager.transaction(async (m) => {
          await m.query('INSERT INTO t (id) VALUES (?)', [i]);
          await pause();
          if (i === 2) throw new Error('roll back');
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await sut.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 0 }, { id: 1 }, { id: 3 }, { id: 4 }]);
  });

  it('keeps a write made outside a transaction out of a concurrent one that rolls back', async () => {
    const failing = sut.manager
      .transaction(async (m) => {
        await m.query('INSERT INTO t (id) VALUES (1)');
        await pause();
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await sut.query('INSERT INTO t (id) VALUES (2)');
    await failing;
    expect(await sut.query('SELECT id FROM t')).toEqual([{ id: 2 }]);
  });

  it('allows nested transactions inside one', async () => {
    await sut.manager.transaction(async (outer) => {
      await outer.query('INSERT INTO t (id) VALUES (7)');
      await sut.manager.transaction(async (inner) => inner.query('INSERT INTO t (id) VALUES (8)'));
    });
    expect(await sut.query('SELECT COUNT(*) AS n FROM t')).toEqual([{ n: 2 }]);
  });
});

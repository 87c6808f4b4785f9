import { describe, expect, it, jest } from '@jest/globals';
import { GroupCommitter } from './group-committer.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe(GroupCommitter.name, () => {
  it('writes items submitted together as one batch and answers each after the write', async () => {
    const batches: number[][] = [];
    const sut = new GroupCommitter<number, string>(
      async (items) => {
        batches.push(items);
        return items.map((i) => `ok ${i}`);
      },
      { intervalMs: 2, maxRows: 100 },
    );
    const answers = await Promise.all([sut.submit(1), sut.submit(2), sut.submit(3)]);
    expect(answers).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('splits at maxRows and keeps submission order across batches', async () => {
    const batches: number[][] = [];
    const sut = new GroupCommitter<number, number>(
      async (items) => {
        batches.push(items);
        await tick(1);
        return items;
      },
      { intervalMs: 50, maxRows: 4 },
    );
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => sut.submit(i, 2)));
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('caps a batch at maxBytes and still writes an item larger than the cap on its own', async () => {
    const batches: number[][] = [];
    const sut = new GroupCommitter<number, number>(
      async (items) => {
        batches.push(items);
        await tick(1);
        return items;
      },
      { intervalMs: 20, maxRows: 100, maxBytes: 1_000 },
    );
    const sizes = [400, 400, 400, 5_000, 100];
    await Promise.all(sizes.map((bytes, i) => sut.submit(i, 1, bytes)));
    expect(batches).toEqual([[0, 1], [2], [3], [4]]);
  });

  it('keeps order across many batches of a long queue', async () => {
    const seen: number[] = [];
    const sut = new GroupCommitter<number, number>(async (items) => (seen.push(...items), items), {
      intervalMs: 0,
      maxRows: 7,
    });
    const n = 5_000;
    await Promise.all(Array.from({ length: n }, (_, i) => sut.submit(i)));
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('rejects only the items the writer answered with an error', async () => {
    const sut = new GroupCommitter<number, number>(
      async (items) => items.map((i) => (i === 2 ? new Error('dup') : i)),
      {
        intervalMs: 0,
        maxRows: 10,
      },
    );
    const results = await Promise.allSettled([sut.submit(1), sut.submit(2), sut.submit(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('fails every item of a batch whose write throws, and keeps working afterwards', async () => {
    const write = jest.fn(async (items: number[]) => items);
    write.mockRejectedValueOnce(new Error('deadlock'));
    const sut = new GroupCommitter<number, number>(write, { intervalMs: 0, maxRows: 10 });
    await expect(Promise.all([sut.submit(1), sut.submit(2)])).rejects.toThrow('deadlock');
    await expect(sut.submit(3)).resolves.toBe(3);
  });

  it('writes the queue on close and refuses later items', async () => {
    const batches: number[][] = [];
    const sut = new GroupCommitter<number, number>(async (items) => (batches.push(items), items), {
      intervalMs: 10_000,
      maxRows: 10,
    });
    const pending = sut.submit(7);
    await sut.close();
    await expect(pending).resolves.toBe(7);
    await expect(sut.submit(8)).rejects.toThrow('closed');
  });
});

describe(`${GroupCommitter.name} with concurrency`, () => {
  it('overlaps up to `concurrency` batches and never more', async () => {
    let running = 0;
    let peak = 0;
    const sut = new GroupCommitter<number, number>(
      async (items) => {
        running++;
        peak = Math.max(peak, running);
        await tick(5);
        running--;
        return items;
      },
      { intervalMs: 0, maxRows: 2, concurrency: 2 },
    );
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => sut.submit(i)));
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(peak).toBe(2);
  });

  it('never writes two items of one key in concurrent batches, and keeps their order', async () => {
    const log: string[] = [];
    let release: () => void = () => undefined;
    const firstWrite = new Promise<void>((r) => (release = r));
    let writes = 0;
    const sut = new GroupCommitter<string, string>(
      async (items) => {
        log.push(`start ${items.join(',')}`);
        if (writes++ === 0) await firstWrite;
        log.push(`end ${items.join(',')}`);
        return items;
      },
      { intervalMs: 0, maxRows: 100, concurrency: 4 },
    );
    const a1 = sut.submit('a1', 1, 0, 'a');
    await tick(2); // a1's batch is being written
    const rest = [sut.submit('a2', 1, 0, 'a'), sut.submit('b1', 1, 0, 'b'), sut.submit('a3', 1, 0, 'a')];
    await tick(5);
    // b1 does not wait for a1; a2 and a3 do, and then go together, in order.
    expect(log).toEqual(['start a1', 'start b1', 'end b1']);
    release();
    await Promise.all([a1, ...rest]);
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2,a3', 'end a2,a3']);
  });

  it('writes unkeyed items beside a keyed batch, and drains a keyed backlog on close', async () => {
    const batches: string[][] = [];
    const sut = new GroupCommitter<string, string>(
      async (items) => {
        batches.push(items);
        await tick(1);
        return items;
      },
      { intervalMs: 0, maxRows: 2, concurrency: 2 },
    );
    const all = ['k1', 'k2', 'k3', 'k4'].map((i) => sut.submit(i, 1, 0, 'k'));
    all.push(sut.submit('x', 1, 0));
    await sut.close();
    await Promise.all(all);
    expect(batches.flat().filter((i) => i.startsWith('k'))).toEqual(['k1', 'k2', 'k3', 'k4']);
    expect(batches.flat()).toContain('x');
  });
});

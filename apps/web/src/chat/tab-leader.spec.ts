// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { type ChannelLike, type LockManagerLike, TabLeader } from './tab-leader.js';

/** Web Locks in one process: one holder per name, waiters served in order. */
function fakeLocks(): LockManagerLike {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request(name, callback) {
      const run = (tails.get(name) ?? Promise.resolve()).then(() => callback());
      tails.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
  };
}

/** A BroadcastChannel bus: a message reaches every other member. */
function fakeBus() {
  const members = new Set<(data: unknown) => void>();
  return (): ChannelLike => {
    let listener: ((event: { data: unknown }) => void) | null = null;
    const deliver = (data: unknown) => listener?.({ data });
    members.add(deliver);
    return {
      postMessage: (data) => {
        for (const member of members) if (member !== deliver) queueMicrotask(() => member(data));
      },
      addEventListener: (_type, l) => void (listener = l),
      close: () => void members.delete(deliver),
    };
  };
}

function aTab(locks: LockManagerLike | null, channel: () => ChannelLike) {
  const received: unknown[] = [];
  const stopped = vi.fn();
  const lead = vi.fn(async () => stopped);
  const sut = new TabLeader({ name: 'device-1', locks, channel: channel(), lead, onMessage: (m) => received.push(m) });
  return { sut, lead, stopped, received };
}

describe(TabLeader.name, () => {
  it('makes exactly one tab leader and hands over when it stops', async () => {
    const locks = fakeLocks();
    const bus = fakeBus();
    const first = aTab(locks, bus);
    const second = aTab(locks, bus);
    const third = aTab(locks, bus);
    first.sut.start();
    second.sut.start();
    third.sut.start();
    await vi.waitFor(() => expect(first.lead).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 10));
    expect([first.sut.leader, second.sut.leader, third.sut.leader]).toEqual([true, false, false]);
    expect(second.lead).not.toHaveBeenCalled();

    first.sut.stop();
    expect(first.stopped).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(second.sut.leader).toBe(true));
    expect(third.sut.leader).toBe(false);

    // A stopped waiter never leads.
    third.sut.stop();
    second.sut.stop();
    await new Promise((r) => setTimeout(r, 10));
    expect(third.lead).not.toHaveBeenCalled();
  });

  it('carries messages to the other tabs, not to itself, and not after stop', async () => {
    const bus = fakeBus();
    const a = aTab(null, bus);
    const b = aTab(null, bus);
    a.sut.broadcast({ t: 'hello' });
    await vi.waitFor(() => expect(b.received).toEqual([{ t: 'hello' }]));
    expect(a.received).toEqual([]);
    b.sut.stop();
    a.sut.broadcast({ t: 'again' });
    await new Promise((r) => setTimeout(r, 10));
    expect(b.received).toEqual([{ t: 'hello' }]);
  });

  it('leads at once without Web Locks (a single tab)', async () => {
    const solo = aTab(null, fakeBus());
    solo.sut.start();
    await vi.waitFor(() => expect(solo.sut.leader).toBe(true));
    solo.sut.stop();
    expect(solo.stopped).toHaveBeenCalled();
  });
});

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

  it('frees the lock when stop() runs while the tab is still becoming leader', async () => {
    const locks = fakeLocks();
    const bus = fakeBus();
    let finishLead!: () => void;
    const slowStopped = vi.fn();
    const slow = new TabLeader({
      name: 'device-1',
      locks,
      channel: bus(),
      lead: () => new Promise((resolve) => (finishLead = () => resolve(slowStopped))),
      onMessage: () => undefined,
    });
    const next = aTab(locks, bus);
    slow.start();
    next.sut.start();
    await vi.waitFor(() => expect(finishLead).toBeDefined());
    slow.stop(); // e.g. sign-out while the socket connects
    finishLead();
    await vi.waitFor(() => expect(next.sut.leader).toBe(true));
    expect(slowStopped).toHaveBeenCalledTimes(1);
    expect(slow.leader).toBe(false);
    next.sut.stop();
  });

  it('gives up leading when lead() fails, lets another tab lead, and tries again with backoff', async () => {
    const locks = fakeLocks();
    const bus = fakeBus();
    const errors: unknown[] = [];
    const delays: number[] = [];
    let attempts = 0;
    const stoppedWork = vi.fn();
    const flaky = new TabLeader({
      name: 'device-1',
      locks,
      channel: bus(),
      lead: async () => {
        attempts++;
        if (attempts <= 2) throw new Error('connect failed');
        return stoppedWork;
      },
      onMessage: () => undefined,
      onLeadError: (error) => errors.push(error),
      retryDelay: (attempt) => (delays.push(attempt), 40),
    });
    flaky.start();
    await vi.waitFor(() => expect(errors).toHaveLength(1), { interval: 2 });
    expect(flaky.leader).toBe(false);
    // The lock was released: another tab leads meanwhile, and the flaky one waits for it.
    const other = aTab(locks, bus);
    other.sut.start();
    await vi.waitFor(() => expect(other.sut.leader).toBe(true));
    await new Promise((r) => setTimeout(r, 30));
    expect(flaky.leader).toBe(false);
    other.sut.stop();
    await vi.waitFor(() => expect(flaky.leader).toBe(true));
    expect(attempts).toBe(3);
    expect(delays).toEqual([0, 1]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['connect failed', 'connect failed']);
    flaky.stop();
    expect(stoppedWork).toHaveBeenCalledTimes(1);
  });

  it('retries a failed lead without Web Locks too, and not after stop', async () => {
    let attempts = 0;
    const solo = new TabLeader({
      name: 'device-1',
      locks: null,
      channel: null,
      lead: async () => {
        attempts++;
        throw new Error('no socket');
      },
      onMessage: () => undefined,
      retryDelay: () => 5,
    });
    solo.start();
    await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(2));
    solo.stop();
    const after = attempts;
    await new Promise((r) => setTimeout(r, 30));
    expect(attempts).toBe(after);
    expect(solo.leader).toBe(false);
  });
});

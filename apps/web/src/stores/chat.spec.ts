// @vitest-environment node
import 'fake-indexeddb/auto';
import { createPinia, type Pinia, setActivePinia } from 'pinia';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { computed } from 'vue';
import { MAX_TEXT_LENGTH, type MessageSendPayload } from '@pairchat/messaging';
import { FakeRelay, relayDevice } from '@/chat/testing/fake-relay.js';
import type { LockManagerLike } from '@/chat/tab-leader.js';
import { VAULT_DB_VERSION, Vault } from '@/crypto/vault.js';
import { aPair, aUser } from '@/testing/fake-fetch.js';
import { chatDependencies, describeProblem, useChatStore } from './chat.js';
import { usePairsStore } from './pairs.js';

const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
const defaults = { ...chatDependencies };
const until = (check: () => void) => vi.waitFor(check, { timeout: 8_000, interval: 10 });

type Device = Awaited<ReturnType<typeof relayDevice>> & { relay: FakeRelay };

/** Web Locks in one process: one holder per name, waiters in order. */
function fakeLocks(): LockManagerLike {
  const queues = new Map<string, Promise<unknown>>();
  return {
    request(name, callback) {
      const previous = queues.get(name) ?? Promise.resolve();
      const run = previous.then(() => callback());
      queues.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
  };
}

/** One tab: its own Pinia, wired to the device on the relay. */
function tab(
  device: Device,
  contact: { id: string; handle: string },
  locks: LockManagerLike | null = null,
): {
  pinia: Pinia;
  chat: ReturnType<typeof useChatStore>;
} {
  const pinia = createPinia();
  setActivePinia(pinia);
  usePairsStore().pairs = [aPair(aUser(contact.handle, { id: contact.id }))];
  const chat = useChatStore();
  Object.assign(chatDependencies, {
    openVault: () => Vault.open({ name: device.database }),
    crypto: () => device.engine,
    directory: () => device.relay.directoryFor(device.deviceId),
    connection: (options: { onEnvelope: Device['transport']['onEnvelope'] }) => {
      device.transport.onEnvelope = options.onEnvelope;
      return device.transport;
    },
    locks: () => locks,
    channel: (name: string) => new BroadcastChannel(`test.${device.database}.${name}`),
  });
  return { pinia, chat };
}

const flushMicrotasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function twoDevices() {
  const relay = new FakeRelay();
  const alice = { ...(await relayDevice(relay, ALICE, 1, { service: false })), relay };
  const bob = { ...(await relayDevice(relay, BOB, 1, { service: false })), relay };
  return { relay, alice, bob };
}

describe('useChatStore', () => {
  const started: ReturnType<typeof useChatStore>[] = [];
  afterEach(() => {
    for (const chat of started.splice(0)) chat.stop();
    Object.assign(chatDependencies, defaults);
  });

  it('sends and receives through two stores: pending row at once, unread, read receipts back', async () => {
    const { alice, bob } = await twoDevices();
    const a = tab(alice, { id: BOB, handle: 'bob' });
    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    const b = tab(bob, { id: ALICE, handle: 'alice' });
    await b.chat.start({ userId: BOB, deviceId: bob.deviceId, protocolDeviceId: 1 });
    started.push(a.chat, b.chat);
    await until(() => expect(a.chat.connection).toBe('online'));

    expect(a.chat.items(BOB)).toEqual([]);
    await a.chat.loadOlder(BOB);
    const sending = a.chat.send(BOB, 'hello from the store');
    await sending;
    expect(a.chat.items(BOB).map((i) => [i.text, i.direction])).toEqual([['hello from the store', 'out']]);

    await until(() => expect(b.chat.conversations[0]).toMatchObject({ id: ALICE, handle: 'alice', unread: 1 }));
    expect(b.chat.conversations[0]!.lastItem).toMatchObject({ text: 'hello from the store', direction: 'in' });
    await b.chat.loadOlder(ALICE);
    expect(b.chat.items(ALICE).map((i) => i.text)).toEqual(['hello from the store']);

    await b.chat.markRead(ALICE);
    await until(() => expect(b.chat.conversations[0]!.unread).toBe(0));
    await until(() => expect(a.chat.items(BOB)[0]!.status).toBe('read'));
    expect(a.chat.conversations[0]).toMatchObject({ id: BOB, unread: 0, typing: false });

    // A change of the pair list asks for presence again (bob connected after alice did).
    usePairsStore(a.pinia).pairs = [
      aPair(aUser('bob', { id: BOB })),
      aPair(aUser('carol', { id: '11111111-2222-4333-8444-555555555555' })),
    ];
    await until(() => expect(a.chat.conversations.find((c) => c.id === BOB)).toMatchObject({ online: true }));
    usePairsStore(a.pinia).pairs = [aPair(aUser('bob', { id: BOB }))];

    alice.transport.emitEvent('presence', { userId: BOB, online: false, lastSeenAt: '2026-12-03T10:00:00.000Z' });
    expect(a.chat.conversations[0]).toMatchObject({ online: false, lastSeenAt: '2026-12-03T10:00:00.000Z' });
    alice.transport.emitEvent('presence', { userId: BOB, online: true, lastSeenAt: null });
    expect(a.chat.conversations[0]).toMatchObject({ online: true, lastSeenAt: null });
  }, 30_000);

  it('loads a timeline asked for before the history opened, and keeps a send made while starting', async () => {
    const { alice, bob } = await twoDevices();
    await alice.history.insert({
      id: 'old',
      conversationId: BOB,
      kind: 'text',
      direction: 'in',
      text: 'from yesterday',
      sentAt: 1,
      serverAt: 1,
      status: null,
      read: true,
      messageId: null,
    });
    const a = tab(alice, { id: BOB, handle: 'bob' });
    const timeline = computed(() => a.chat.items(BOB).map((i) => i.text));
    expect(timeline.value).toEqual([]);
    await expect(a.chat.send(BOB, 'too early')).rejects.toThrow(/not started/);

    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(a.chat);
    const sending = a.chat.send(BOB, 'while the socket connects');
    await until(() => expect(timeline.value).toEqual(['from yesterday', 'while the socket connects']));
    await sending;
    const b = tab(bob, { id: ALICE, handle: 'alice' });
    await b.chat.start({ userId: BOB, deviceId: bob.deviceId, protocolDeviceId: 1 });
    started.push(b.chat);
    await until(() => expect(b.chat.items(ALICE).map((i) => i.text)).toEqual(['while the socket connects']));
  }, 30_000);

  it('pages history newest first with loadOlder', async () => {
    const { alice } = await twoDevices();
    const a = tab(alice, { id: BOB, handle: 'bob' });
    for (let i = 0; i < 60; i++) {
      await alice.history.insert({
        id: `m${i}`,
        conversationId: BOB,
        kind: 'text',
        direction: 'in',
        text: `#${i}`,
        sentAt: 1_000 + i,
        serverAt: 1_000 + i,
        status: null,
        read: true,
        messageId: null,
      });
      alice.relay.clock++;
    }
    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(a.chat);
    const first = await a.chat.loadOlder(BOB);
    expect(first.hasMore).toBe(true);
    expect(first.items.map((i) => i.text).at(-1)).toBe('#59');
    const second = await a.chat.loadOlder(BOB);
    expect(second).toMatchObject({ hasMore: false });
    expect(second.items).toHaveLength(10);
    expect(a.chat.items(BOB).map((i) => i.text)).toEqual(Array.from({ length: 60 }, (_, i) => `#${i}`));
  }, 30_000);

  it('lets a second tab follow the leader, forward its sends, and take over when the leader closes', async () => {
    const { alice, bob } = await twoDevices();
    const locks = fakeLocks();
    const leader = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await leader.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    const follower = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await follower.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    const b = tab(bob, { id: ALICE, handle: 'alice' });
    await b.chat.start({ userId: BOB, deviceId: bob.deviceId, protocolDeviceId: 1 });
    started.push(leader.chat, follower.chat, b.chat);
    await until(() => expect(leader.chat.connection).toBe('online'));

    await follower.chat.loadOlder(BOB);
    await leader.chat.loadOlder(BOB);
    await b.chat.loadOlder(ALICE);
    await follower.chat.send(BOB, 'typed in the second tab');
    await until(() => expect(b.chat.items(ALICE).map((i) => i.text)).toEqual(['typed in the second tab']));
    await until(() => expect(follower.chat.items(BOB).map((i) => i.status)).toEqual(['delivered']));
    expect(leader.chat.items(BOB).map((i) => i.text)).toEqual(['typed in the second tab']);

    leader.chat.stop(); // the tab closes: its lock frees and the follower leads
    await b.chat.send(ALICE, 'still there?');
    await until(() =>
      expect(follower.chat.items(BOB).map((i) => i.text)).toEqual(['typed in the second tab', 'still there?']),
    );
    await follower.chat.send(BOB, 'yes, from the new leader');
    await until(() =>
      expect(
        b.chat
          .items(ALICE)
          .map((i) => i.text)
          .at(-1),
      ).toBe('yes, from the new leader'),
    );
  }, 40_000);

  it('fails calls that waited for a start that failed, says so, and leads on a later try', async () => {
    const { alice, bob } = await twoDevices();
    const a = tab(alice, { id: BOB, handle: 'bob' });
    const lines: string[] = [];
    let loads = 0;
    let fail!: () => void;
    Object.assign(alice.transport, {
      load: () =>
        ++loads === 1
          ? new Promise<void>(
              (_, reject) =>
                (fail = () =>
                  reject(Object.assign(new Error('quota exceeded: "hello"'), { name: 'QuotaExceededError' }))),
            )
          : Promise.resolve(),
    });
    Object.assign(chatDependencies, { log: (line: string) => lines.push(line), leadRetryDelay: () => 100 });
    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(a.chat);

    const waiting = a.chat.send(BOB, 'while it fails');
    fail();
    await expect(waiting).rejects.toThrow(/quota/);
    expect(lines).toEqual(['chat: could not start (QuotaExceededError); retrying']);
    expect(a.chat.connection).toBe('offline');

    await until(() => expect(a.chat.connection).toBe('online'));
    expect(loads).toBe(2);
    const b = tab(bob, { id: ALICE, handle: 'alice' });
    await b.chat.start({ userId: BOB, deviceId: bob.deviceId, protocolDeviceId: 1 });
    started.push(b.chat);
    await a.chat.send(BOB, 'after the retry');
    await until(() => expect(b.chat.items(ALICE).map((i) => i.text)).toEqual(['after the retry']));
  }, 30_000);

  it('answers a follower: its errors come back, and a send made as the leader closes is not lost', async () => {
    const { alice, bob } = await twoDevices();
    const locks = fakeLocks();
    const leader = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await leader.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    const follower = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await follower.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    const b = tab(bob, { id: ALICE, handle: 'alice' });
    await b.chat.start({ userId: BOB, deviceId: bob.deviceId, protocolDeviceId: 1 });
    started.push(leader.chat, follower.chat, b.chat);
    await until(() => expect(leader.chat.connection).toBe('online'));
    await b.chat.loadOlder(ALICE);

    await expect(follower.chat.send(BOB, 'x'.repeat(MAX_TEXT_LENGTH + 1))).rejects.toThrow(TypeError);

    leader.chat.stop(); // the leader tab closes just as the follower sends
    await follower.chat.send(BOB, 'sent as the leader closed');
    await until(() => expect(b.chat.items(ALICE).map((i) => i.text)).toEqual(['sent as the leader closed']));
  }, 30_000);

  it('fails a follower call that no tab takes in time (the text is not sent later)', async () => {
    const { alice } = await twoDevices();
    const never: LockManagerLike = { request: () => new Promise(() => undefined) }; // another tab holds it
    const follower = tab(alice, { id: BOB, handle: 'bob' }, never);
    Object.assign(chatDependencies, { forwardTimeoutMs: 300 });
    await follower.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(follower.chat);
    await expect(follower.chat.send(BOB, 'anyone?')).rejects.toThrow(/no tab is running the chat/);
  }, 30_000);

  it('gives a new tab the leader’s presence and connection state', async () => {
    const { alice } = await twoDevices();
    const locks = fakeLocks();
    const leader = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await leader.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(leader.chat);
    await until(() => expect(leader.chat.connection).toBe('online'));
    alice.transport.emitEvent('presence', { userId: BOB, online: false, lastSeenAt: '2026-12-03T10:00:00.000Z' });

    const follower = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await follower.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(follower.chat);

    await until(() =>
      expect(follower.chat.conversations[0]).toMatchObject({ online: false, lastSeenAt: '2026-12-03T10:00:00.000Z' }),
    );
    expect(follower.chat.connection).toBe('online');
  }, 30_000);

  it('warns every tab when one of my own devices presents another identity key', async () => {
    const { relay, alice } = await twoDevices();
    await relayDevice(relay, ALICE, 2, { freshIdentity: true, service: false });
    const locks = fakeLocks();
    const leader = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await leader.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(leader.chat);
    expect(leader.chat.ownIdentityMismatch).toBe(false);

    await leader.chat.send(BOB, 'not for a device with another key');
    await until(() => expect(leader.chat.ownIdentityMismatch).toBe(true));

    const follower = tab(alice, { id: BOB, handle: 'bob' }, locks);
    await follower.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(follower.chat);
    await until(() => expect(follower.chat.ownIdentityMismatch).toBe(true));
  }, 30_000);

  it('loads the SDK outbox before the first flush, so a queued send is not encrypted again', async () => {
    const { alice, bob } = await twoDevices();
    const first = tab(alice, { id: BOB, handle: 'bob' });
    await first.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    await until(() => expect(first.chat.connection).toBe('online'));
    alice.transport.disconnect();
    await first.chat.send(BOB, 'queued while offline');
    await until(() => expect(alice.transport.pending()).toHaveLength(1));
    first.chat.stop();

    // Like a fresh PairchatClient: its outbox is in storage until load() (or connect()) reads it.
    const sdk = alice.transport;
    let loaded = false;
    const handed: string[] = [];
    const { pending, send, connect } = {
      pending: sdk.pending.bind(sdk),
      send: sdk.send.bind(sdk),
      connect: sdk.connect.bind(sdk),
    };
    Object.assign(sdk, {
      load: async () => void (loaded = true),
      pending: () => (loaded ? pending() : []),
      send: (payload: MessageSendPayload) => (handed.push(payload.clientMessageId), send(payload)),
      connect: () => ((loaded = true), connect()),
    });
    const again = tab(alice, { id: BOB, handle: 'bob' });
    await again.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    const b = tab(bob, { id: ALICE, handle: 'alice' });
    await b.chat.start({ userId: BOB, deviceId: bob.deviceId, protocolDeviceId: 1 });
    started.push(again.chat, b.chat);
    await until(() => expect(b.chat.items(ALICE).map((i) => i.text)).toEqual(['queued while offline']));
    expect(handed).toEqual([]);
  }, 30_000);

  it('logs socket errors by name and code only, maintains keys on notice, and signs out a revoked device', async () => {
    const { alice } = await twoDevices();
    const a = tab(alice, { id: BOB, handle: 'bob' });
    const lines: string[] = [];
    let finish!: () => void;
    const maintainKeys = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const signOutRevoked = vi.fn();
    Object.assign(chatDependencies, { log: (line: string) => lines.push(line), maintainKeys, signOutRevoked });
    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(a.chat);
    await until(() => expect(a.chat.connection).toBe('online'));

    alice.transport.emitEvent('error', { code: 'RATE_LIMITED', message: 'slow down, "hello bob"' });
    expect(lines).toEqual(['chat: socket error SocketError RATE_LIMITED']);

    alice.transport.emitEvent('keys-replenish', { ecPreKeys: 3, kyberPreKeys: 9 });
    alice.transport.emitEvent('keys-rotate', {
      reason: 'due',
      signedPreKeyUploadedAt: '2026-11-01T00:00:00.000Z',
      lastResortKyberPreKeyUploadedAt: '2026-11-01T00:00:00.000Z',
    });
    alice.transport.emitEvent('keys-replenish', { ecPreKeys: 2, kyberPreKeys: 9 });
    expect(maintainKeys).toHaveBeenCalledTimes(1); // one run at a time
    finish();
    await until(() => expect(maintainKeys).toHaveBeenCalledTimes(2)); // the notices during it: one more
    finish();

    alice.transport.emitEvent('auth-failed', 'TOKEN_EXPIRED');
    expect(signOutRevoked).not.toHaveBeenCalled();
    alice.transport.emitEvent('auth-failed', 'DEVICE_REVOKED');
    expect(signOutRevoked).toHaveBeenCalledTimes(1);
  }, 30_000);

  it('rechecks the session when the server ends it, and reconnects only if a refresh still works', async () => {
    const { alice } = await twoDevices();
    const a = tab(alice, { id: BOB, handle: 'bob' });
    const answers = [false, true];
    const recheckSession = vi.fn(async () => answers.shift()!);
    Object.assign(chatDependencies, { recheckSession, signOutRevoked: vi.fn() });
    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(a.chat);
    await until(() => expect(a.chat.connection).toBe('online'));
    const connect = vi.spyOn(alice.transport, 'connect');

    alice.transport.emitEvent('auth-failed', 'UNAUTHORIZED'); // refresh refused: the session store signs out
    await until(() => expect(recheckSession).toHaveBeenCalledTimes(1));
    await flushMicrotasks();
    expect(connect).not.toHaveBeenCalled();

    alice.transport.emitEvent('auth-failed', 'UNAUTHORIZED'); // refresh worked: connect again
    await until(() => expect(connect).toHaveBeenCalledTimes(1));
    expect(chatDependencies.signOutRevoked).not.toHaveBeenCalled();
  }, 30_000);

  it('treats a handshake refused with SESSION_ENDED as an ended session, never as a removed device', async () => {
    const { alice } = await twoDevices();
    const a = tab(alice, { id: BOB, handle: 'bob' });
    const recheckSession = vi.fn(async () => false);
    Object.assign(chatDependencies, { recheckSession, signOutRevoked: vi.fn() });
    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(a.chat);
    await until(() => expect(a.chat.connection).toBe('online'));

    alice.transport.emitEvent('auth-failed', 'SESSION_ENDED');
    await until(() => expect(recheckSession).toHaveBeenCalledTimes(1));
    // The device stays remembered (its keys and history with it): only a revocation forgets it.
    expect(chatDependencies.signOutRevoked).not.toHaveBeenCalled();
  }, 30_000);

  it('stops and asks for a reload when a newer tab upgrades the database', async () => {
    const { alice } = await twoDevices();
    const a = tab(alice, { id: BOB, handle: 'bob' });
    await a.chat.start({ userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 });
    started.push(a.chat);
    await until(() => expect(a.chat.connection).toBe('online'));

    const upgrade = indexedDB.open(alice.database, VAULT_DB_VERSION + 1);
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      upgrade.onsuccess = () => resolve(upgrade.result);
      upgrade.onerror = () => reject(upgrade.error);
    });
    newer.close();

    expect(a.chat.storageProblem).toBe('reload');
    expect(a.chat.connection).toBe('idle');
    await expect(a.chat.send(BOB, 'after the upgrade')).rejects.toThrow(/not started/);
  }, 30_000);
});

describe(describeProblem.name, () => {
  it('keeps names and codes, never messages', () => {
    expect(describeProblem(Object.assign(new Error('text "hi"'), { code: 'NO_SESSION' }))).toBe('Error NO_SESSION');
    expect(describeProblem(new TypeError('bad "secret"'))).toBe('TypeError');
    expect(describeProblem({ code: 'not a code, "secret"', message: 'x' })).toBe('SocketError');
    expect(describeProblem('plain string')).toBe('string');
  });
});

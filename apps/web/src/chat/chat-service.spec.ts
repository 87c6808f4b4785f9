// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { CiphertextMessageType, fromBase64, toBase64 } from '@pairchat/crypto';
import { bundleFromWire, type PreKeyBundleResponse } from '@pairchat/keys';
import { encodeContent } from '@pairchat/messaging';
import { ChatService } from './chat-service.js';
import { FakeRelay, relayDevice } from './testing/fake-relay.js';
import type { ChatItem } from './types.js';

const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
const CAROL_ID = '11111111-2222-4333-8444-555555555555';

type Device = Awaited<ReturnType<typeof relayDevice>>;

async function rows(device: Device, conversationId: string): Promise<ChatItem[]> {
  return (await device.history.page(conversationId, 100)).records.map((r) => r.item);
}

const until = (check: () => Promise<void> | void) => vi.waitFor(check, { timeout: 8_000, interval: 10 });

/** The server lies: bundles of `userId` come under `identityKey` (as for a device it made itself). */
function forgeBundles(relay: FakeRelay, userId: string, identityKey: Uint8Array) {
  const target = relay as unknown as {
    claim(caller: string, user: string, deviceIds?: string[]): PreKeyBundleResponse;
  };
  const claim = target.claim.bind(relay);
  return vi
    .spyOn(target, 'claim')
    .mockImplementation((caller, user, ids) =>
      user === userId ? { ...claim(caller, user, ids), identityKey: toBase64(identityKey) } : claim(caller, user, ids),
    );
}

/** `from` encrypts `content` to `to`'s device 1 itself, as a PreKey message (a fresh session). */
async function preKeyMessage(relay: FakeRelay, from: Device, to: Device, text: Uint8Array) {
  const response = await relay.directoryFor(from.deviceId).claimPreKeyBundles(to.userId);
  const wire = response.devices.find((d) => d.deviceId === to.deviceId)!;
  const address = { name: to.userId, deviceId: wire.protocolDeviceId };
  await from.engine.processPreKeyBundle(bundleFromWire(fromBase64(response.identityKey), wire), address);
  const message = await from.engine.encrypt(text, address);
  expect(message.type).toBe(CiphertextMessageType.PreKey);
  return message;
}

async function pair(relay = new FakeRelay()) {
  const alice = await relayDevice(relay, ALICE, 1, { contacts: [BOB] });
  const bob = await relayDevice(relay, BOB, 1, { contacts: [ALICE] });
  alice.transport.connect();
  bob.transport.connect();
  return { relay, alice, bob };
}

describe(ChatService.name, () => {
  it('sends a text from one device to another: pending at once, then sent, then delivered', async () => {
    const { alice, bob } = await pair();
    const events: string[] = [];
    alice.service.on('items', (_c, items) => events.push(...items.map((i) => i.status ?? '')));

    const item = await alice.service.send(BOB, 'hello bob');
    expect(item).toMatchObject({ kind: 'text', direction: 'out', status: 'pending', text: 'hello bob' });
    expect(events[0]).toBe('pending');

    await until(async () => {
      const [received] = await rows(bob, ALICE);
      expect(received).toMatchObject({ id: item.id, direction: 'in', text: 'hello bob', read: false });
    });
    await until(async () => {
      const [sent] = await rows(alice, BOB);
      expect(sent).toMatchObject({ status: 'delivered' });
      expect(sent!.messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(sent!.serverAt).toEqual(expect.any(Number));
      expect(events).toEqual(expect.arrayContaining(['pending', 'sent', 'delivered']));
    });
    expect((await bob.history.meta(ALICE)).unread).toBe(1);

    // And back: the reply reuses the session bob built from alice's PreKey message (no bundle claim).
    await bob.service.send(ALICE, 'hi alice');
    await until(async () => expect((await rows(alice, BOB)).map((r) => r.text)).toEqual(['hello bob', 'hi alice']));
  }, 30_000);

  it('claims bundles only for devices without a session', async () => {
    const { relay, alice, bob } = await pair();
    await alice.service.send(BOB, 'one');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    const claimsAfterFirst = relay.claims.filter((u) => u === BOB).length;
    await alice.service.send(BOB, 'two');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(2));
    expect(relay.claims.filter((u) => u === BOB)).toHaveLength(claimsAfterFirst);
    expect(claimsAfterFirst).toBe(1);
  }, 30_000);

  it("sends a sync copy to the sender's other device, which shows it as an outgoing sent row", async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    const tablet = await relayDevice(relay, ALICE, 2);
    tablet.transport.connect();

    const item = await alice.service.send(BOB, 'from the phone');
    await until(async () => {
      const [copy] = await rows(tablet, BOB);
      expect(copy).toMatchObject({ id: item.id, direction: 'out', text: 'from the phone' });
      expect(['sent', 'delivered']).toContain(copy!.status);
    });
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    // The first send met DEVICES_MISMATCH (alice did not know her tablet yet) and was re-encrypted.
    expect(relay.log.filter((p) => p.clientMessageId === item.id)).toHaveLength(1);
  }, 30_000);

  it('re-encrypts under the same client message id when the recipient added a device (DEVICES_MISMATCH)', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    await alice.service.send(BOB, 'before');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));

    const laptop = await relayDevice(relay, BOB, 2);
    laptop.transport.connect();
    const item = await alice.service.send(BOB, 'after');
    await until(async () => expect((await rows(laptop, ALICE)).map((r) => r.text)).toEqual(['after']));
    await until(async () => expect((await rows(bob, ALICE)).map((r) => r.text)).toEqual(['before', 'after']));
    const accepted = relay.log.filter((p) => p.clientMessageId === item.id);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.envelopes).toHaveLength(2);

    // A removed device is dropped (extra) and its session forgotten.
    relay.remove(laptop.deviceId);
    const third = await alice.service.send(BOB, 'laptop gone');
    await until(async () =>
      expect((await rows(alice, BOB)).find((r) => r.id === third.id)?.status).not.toBe('pending'),
    );
    expect(relay.log.find((p) => p.clientMessageId === third.id)!.envelopes).toHaveLength(1);
  }, 40_000);

  it('queues offline: a message with sessions waits in the outbox, one needing bundles waits as a pending row', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    await alice.service.send(BOB, 'first');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));

    alice.transport.disconnect();
    const offline = await alice.service.send(BOB, 'while offline');
    await until(() => expect(alice.transport.pending().map((p) => p.clientMessageId)).toEqual([offline.id]));
    expect((await rows(alice, BOB)).at(-1)).toMatchObject({ status: 'pending' });

    // A contact never written to needs a bundle: with the directory down the row stays pending.
    const carol = await relayDevice(relay, '11111111-2222-4333-8444-555555555555', 1);
    carol.transport.connect();
    const directory = relay.directoryFor(alice.deviceId);
    const claim = vi.spyOn(directory, 'claimPreKeyBundles').mockRejectedValue(new TypeError('Failed to fetch'));
    const service = new ChatService({
      self: { userId: ALICE, deviceId: alice.deviceId, protocolDeviceId: 1 },
      crypto: alice.engine,
      directory,
      history: alice.history,
      now: () => relay.clock,
      retryDelayMs: 20,
    });
    alice.service.stop();
    service.attach(alice.transport);
    alice.transport.onEnvelope = (e) => service.handleEnvelope(e);
    await service.start();
    const waiting = await service.send(carol.userId, 'needs a bundle');
    await until(() => expect(claim).toHaveBeenCalled());
    expect((await alice.history.get(carol.userId, waiting.id))!.item.status).toBe('pending');

    claim.mockRestore();
    alice.transport.connect();
    await until(async () => expect((await rows(bob, ALICE)).map((r) => r.text)).toEqual(['first', 'while offline']));
    await until(async () => expect((await rows(carol, ALICE)).map((r) => r.text)).toEqual(['needs a bundle']));
    service.stop();
  }, 40_000);

  it('keeps pending sends across a restart of the service (reload)', async () => {
    const { alice, bob } = await pair();
    await alice.service.send(BOB, 'hello');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    alice.transport.disconnect();
    alice.service.stop();
    const restarted = alice.build();
    await restarted.start();
    const item = await restarted.send(BOB, 'after reload');
    restarted.stop();
    const again = alice.build();
    await again.start();
    alice.transport.connect();
    await until(async () => expect((await rows(bob, ALICE)).map((r) => r.id)).toContain(item.id));
  }, 30_000);

  it('shows a redelivered envelope once (lost ack)', async () => {
    const { relay, alice, bob } = await pair();
    await alice.service.send(BOB, 'only once');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    expect(relay.log).toHaveLength(1);
    // The same message again, as after a lost ack with the transport's memory of handled ids gone.
    const [row] = await rows(bob, ALICE);
    const again = await bob.service.handleEnvelope({
      id: '999',
      messageId: row!.messageId!,
      kind: 'message',
      senderUserId: ALICE,
      senderDeviceId: alice.deviceId,
      recipientUserId: BOB,
      type: 2,
      ciphertext: 'AAAA',
      serverTimestamp: new Date().toISOString(),
    });
    expect(again).toBeUndefined();
    expect(await rows(bob, ALICE)).toHaveLength(1);
  }, 30_000);

  it('stores an undecryptable placeholder, resets the session, and replaces it once the sender resends', async () => {
    const { relay, alice, bob } = await pair();
    await alice.service.send(BOB, 'establish');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('delivered'));

    const placeholders: string[] = [];
    bob.service.on('items', (_c, items) =>
      placeholders.push(...items.filter((i) => i.kind === 'undecryptable').map((i) => i.id)),
    );
    // Bob loses his session with alice (e.g. restored from an old backup): the next message fails.
    await bob.engine.deleteSession({ name: ALICE, deviceId: 1 });
    const lost = await alice.service.send(BOB, 'this one is lost at first');
    await until(async () => {
      const texts = (await rows(bob, ALICE)).map((r) => [r.kind, r.text]);
      expect(texts).toEqual([
        ['text', 'establish'],
        ['text', 'this one is lost at first'],
      ]);
    });
    const replaced = (await rows(bob, ALICE))[1]!;
    expect(replaced).toMatchObject({ id: lost.id, direction: 'in' });
    // Same server id as the original, so bob's receipts name what alice holds.
    const original = (await rows(alice, BOB))[1]!;
    expect(replaced.messageId).toBe(original.messageId);
    expect(placeholders).toEqual([`undecryptable-${original.messageId}`]);
    expect(await bob.history.get(ALICE, `undecryptable-${original.messageId}`)).toBeNull();
    expect(relay.claims.filter((u) => u === ALICE).length).toBeGreaterThanOrEqual(1); // fresh session for the request
    await until(async () => expect((await rows(alice, BOB))[1]!.status).toBe('delivered'));
    expect(await rows(alice, BOB)).toHaveLength(2);
  }, 40_000);

  it('sends read receipts on markRead and moves the sender to read, never back', async () => {
    const { alice, bob } = await pair();
    await alice.service.send(BOB, 'a');
    await alice.service.send(BOB, 'b');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(2));
    await until(async () => expect((await rows(alice, BOB)).map((r) => r.status)).toEqual(['delivered', 'delivered']));
    expect((await bob.history.meta(ALICE)).unread).toBe(2);

    await bob.service.markRead(ALICE);
    expect((await bob.history.meta(ALICE)).unread).toBe(0);
    expect((await rows(bob, ALICE)).every((r) => r.read)).toBe(true);
    await until(async () => expect((await rows(alice, BOB)).map((r) => r.status)).toEqual(['read', 'read']));

    // A late delivered status does not move a read message back.
    const [first] = await rows(alice, BOB);
    alice.transport.emitEvent('status', {
      clientMessageId: first!.id,
      messageId: first!.messageId!,
      status: 'delivered',
    });
    await new Promise((r) => setTimeout(r, 50));
    expect((await rows(alice, BOB))[0]!.status).toBe('read');
  }, 30_000);

  it('shows typing while frames arrive and clears it after the timeout', async () => {
    const { alice, bob } = await pair();
    await alice.service.send(BOB, 'hi');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    // Typing goes only on a confirmed session (Whisper messages): bob's reply confirms alice's.
    await bob.service.send(ALICE, 'hello');
    await until(async () => expect(await rows(alice, BOB)).toHaveLength(2));
    const typing: boolean[] = [];
    bob.service.on('typing', (_c, on) => typing.push(on));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await alice.service.setTyping(BOB, true);
      await alice.service.setTyping(BOB, true); // throttled: one frame
      await vi.waitFor(() => expect(typing).toEqual([true]), { interval: 5 });
      vi.advanceTimersByTime(6_001);
      expect(typing).toEqual([true, false]);
    } finally {
      vi.useRealTimers();
    }
  }, 30_000);

  it('marks outgoing messages failed when the server reports them expired, and adds a gap row', async () => {
    const { alice, bob } = await pair();
    bob.transport.disconnect();
    await alice.service.send(BOB, 'will expire');
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('sent'));
    const [sent] = await rows(alice, BOB);
    alice.transport.emitEvent('notice', {
      id: '77',
      kind: 'expired',
      recipientUserId: BOB,
      messageIds: [sent!.messageId!],
      serverTimestamp: new Date().toISOString(),
    });
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('failed'));
    alice.transport.emitEvent('notice', { id: '78', kind: 'gap', count: 3, serverTimestamp: new Date().toISOString() });
    await until(async () => expect((await rows(alice, BOB)).find((r) => r.kind === 'gap')).toMatchObject({ count: 3 }));
  }, 30_000);

  it('decrypts a PreKey message from a new identity, then shows one identity-change row', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    await alice.service.send(BOB, 'before the reinstall');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));

    // Bob reinstalls: a new device with a new identity key takes protocol device id 1.
    relay.remove(bob.deviceId);
    bob.transport.disconnect();
    const reinstalled = await relayDevice(relay, BOB, 1, { freshIdentity: true });
    reinstalled.transport.connect();
    await reinstalled.service.send(ALICE, 'new phone, who dis');

    await until(async () => {
      const kinds = (await rows(alice, BOB)).map((r) => [r.kind, r.text]);
      expect(kinds).toEqual([
        ['text', 'before the reinstall'],
        ['identity-change', null],
        ['text', 'new phone, who dis'],
      ]);
    });
    const [notice] = await alice.engine.identityChanges();
    expect(notice).toMatchObject({ name: BOB, accepted: false });
  }, 40_000);

  it('clears verification on an incoming identity change and holds sends until the user accepts it', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    await alice.service.send(BOB, 'before');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    await alice.engine.setVerified(BOB, true);
    const flags: boolean[] = [];
    alice.service.on('identity', (_c, changed) => flags.push(changed));

    relay.remove(bob.deviceId);
    bob.transport.disconnect();
    const reinstalled = await relayDevice(relay, BOB, 1, { freshIdentity: true });
    reinstalled.transport.connect();
    await reinstalled.service.send(ALICE, 'new key');
    await until(async () => expect((await rows(alice, BOB)).map((r) => r.text)).toContain('new key'));
    expect(flags).toEqual([true]);
    expect((await alice.engine.safetyNumber(BOB)).verified).toBe(false);

    const held = await alice.service.send(BOB, 'waits');
    await new Promise((r) => setTimeout(r, 100));
    expect((await alice.history.get(BOB, held.id))!.item.status).toBe('pending');
    expect((await rows(reinstalled, ALICE)).map((r) => r.text)).toEqual(['new key']);
    // Still held after a reload, until the user accepts.
    alice.service.stop();
    const restarted = alice.build();
    restarted.on('identity', (_c, changed) => flags.push(changed));
    await restarted.start();
    expect(flags).toEqual([true, true]);
    await restarted.acceptIdentity(BOB);
    await until(async () => expect((await rows(reinstalled, ALICE)).map((r) => r.text)).toEqual(['new key', 'waits']));
    restarted.stop();
  }, 40_000);

  it('drops a PreKey typing frame unprocessed (no session, no identity change)', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    await alice.service.send(BOB, 'before');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    const stranger = await relayDevice(relay, BOB, 2, { freshIdentity: true, service: false });
    const typing: boolean[] = [];
    alice.service.on('typing', (_c, on) => typing.push(on));
    const frame = encodeContent({ v: 1, t: 'typing', action: 'started', sentAt: relay.clock });
    const message = await preKeyMessage(relay, stranger, alice, frame);

    alice.transport.emitEvent('typing', {
      senderUserId: BOB,
      senderDeviceId: stranger.deviceId,
      type: message.type as 3,
      ciphertext: toBase64(message.body),
      serverTimestamp: new Date(relay.clock).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(typing).toEqual([]);
    expect(await alice.engine.hasSession({ name: BOB, deviceId: 2 })).toBe(false);
    expect(await alice.engine.identityChanges()).toEqual([]);
    // The next real message from bob's own device shows no change.
    relay.remove(stranger.deviceId);
    await bob.service.send(ALICE, 'still me');
    await until(async () => expect((await rows(alice, BOB)).map((r) => r.kind)).toEqual(['text', 'text']));
  }, 30_000);

  it('holds sends to a changed identity until the user accepts it, then sends them', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    await alice.service.send(BOB, 'before');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));

    relay.remove(bob.deviceId);
    bob.transport.disconnect();
    const reinstalled = await relayDevice(relay, BOB, 1, { freshIdentity: true });
    reinstalled.transport.connect();
    const flags: boolean[] = [];
    alice.service.on('identity', (_c, changed) => flags.push(changed));

    const held = await alice.service.send(BOB, 'to the new key');
    await until(() => expect(flags).toEqual([true]));
    expect((await alice.history.get(BOB, held.id))!.item.status).toBe('pending');
    expect(await rows(reinstalled, ALICE)).toEqual([]);

    await alice.service.acceptIdentity(BOB);
    expect(flags).toEqual([true, false]);
    await until(async () => expect((await rows(reinstalled, ALICE)).map((r) => r.text)).toEqual(['to the new key']));
  }, 40_000);

  it('marks a refused send failed and sends it on retry under the same client message id', async () => {
    const { relay, alice, bob } = await pair();
    relay.refuseNext = 'NOT_PAIRED';
    const item = await alice.service.send(BOB, 'refused once');
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('failed'));
    expect(await alice.history.stateKeys('send:')).toEqual([]);

    await alice.service.retry(BOB, item.id);
    await until(async () => expect((await rows(bob, ALICE)).map((r) => r.id)).toEqual([item.id]));
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('delivered'));
    expect(relay.log.map((p) => p.clientMessageId)).toContain(item.id);
  }, 30_000);

  it('retries an expired message under a new client message id, shown once by the recipient', async () => {
    const { relay, alice, bob } = await pair();
    bob.transport.disconnect();
    const item = await alice.service.send(BOB, 'expires first');
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('sent'));
    const [sent] = await rows(alice, BOB);
    // The server expired it: drop bob's queued copy as the server does.
    relay.devices.get(bob.deviceId)!.queue.length = 0;
    alice.transport.emitEvent('notice', {
      id: '90',
      kind: 'expired',
      recipientUserId: BOB,
      messageIds: [sent!.messageId!],
      serverTimestamp: new Date().toISOString(),
    });
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('failed'));

    await alice.service.retry(BOB, item.id);
    await bob.transport.connect();
    await until(async () =>
      expect((await rows(bob, ALICE)).map((r) => [r.id, r.text])).toEqual([[item.id, 'expires first']]),
    );
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('delivered'));
    const [retried] = await rows(alice, BOB);
    expect(retried!.messageId).not.toBe(sent!.messageId);
    expect(relay.log.filter((p) => p.kind === 'message')).toHaveLength(2);
  }, 30_000);

  it('delivers messages in the order they were sent, also when they all waited for the first session', async () => {
    const { alice, bob } = await pair();
    alice.transport.disconnect();
    const texts = Array.from({ length: 10 }, (_, i) => `in order ${i}`);
    for (const text of texts) await alice.service.send(BOB, text);
    await alice.transport.connect();
    await until(async () => expect((await rows(bob, ALICE)).map((r) => r.text)).toEqual(texts));
    expect((await rows(alice, BOB)).map((r) => r.text)).toEqual(texts);
  }, 30_000);

  it('rebuilds the session with a device whose registration id changed (stale) and sends once', async () => {
    const { relay, alice, bob } = await pair();
    await alice.service.send(BOB, 'before');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    const claims = relay.claims.filter((u) => u === BOB).length;

    relay.devices.get(bob.deviceId)!.registrationId = 4_321; // as a reinstall under the same device id
    const item = await alice.service.send(BOB, 'after the change');
    await until(async () =>
      expect((await rows(bob, ALICE)).map((r) => r.text)).toEqual(['before', 'after the change']),
    );
    expect(relay.claims.filter((u) => u === BOB).length).toBe(claims + 1);
    const accepted = relay.log.filter((p) => p.clientMessageId === item.id);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.envelopes[0]).toMatchObject({ deviceId: bob.deviceId, registrationId: 4_321, type: 3 });
  }, 30_000);

  it('refuses a bundle under another identity key for a known contact (a device the server made)', async () => {
    const { relay, alice, bob } = await pair();
    await alice.service.send(BOB, 'before');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    const fake = await relayDevice(relay, BOB, 2, { freshIdentity: true, service: false });
    forgeBundles(relay, BOB, fake.identityKey);
    const flags: boolean[] = [];
    alice.service.on('identity', (_c, changed) => flags.push(changed));

    const held = await alice.service.send(BOB, 'not for the fake device');
    await until(() => expect(flags).toEqual([true]));
    expect((await alice.history.get(BOB, held.id))!.item.status).toBe('pending');
    expect(relay.log.flatMap((p) => p.envelopes).some((e) => e.deviceId === fake.deviceId)).toBe(false);
    expect(await alice.engine.hasSession({ name: BOB, deviceId: 2 })).toBe(false);
    const [notice] = await alice.engine.identityChanges();
    expect(notice).toMatchObject({ name: BOB, accepted: false });
    expect(notice!.newKey).toEqual(fake.identityKey);
  }, 30_000);

  it('shows an identity change for a message from a new device of a contact under another key', async () => {
    const { relay, alice, bob } = await pair();
    await alice.service.send(BOB, 'before');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    const fake = await relayDevice(relay, BOB, 2, { freshIdentity: true, service: false });
    const flags: boolean[] = [];
    alice.service.on('identity', (_c, changed) => flags.push(changed));
    const text = encodeContent({ v: 1, t: 'message', id: 'from-the-fake', text: 'trust me', sentAt: relay.clock });
    const message = await preKeyMessage(relay, fake, alice, text);

    await alice.service.handleEnvelope({
      id: '500',
      messageId: '00000000-0000-4000-8000-00000000f001',
      kind: 'message',
      senderUserId: BOB,
      senderDeviceId: fake.deviceId,
      recipientUserId: ALICE,
      type: message.type as 3,
      ciphertext: toBase64(message.body),
      serverTimestamp: new Date(relay.clock).toISOString(),
    });
    expect((await rows(alice, BOB)).map((r) => r.kind)).toEqual(['text', 'identity-change', 'text']);
    expect(flags).toEqual([true]);
    const held = await alice.service.send(BOB, 'waits for the user');
    await new Promise((r) => setTimeout(r, 100));
    expect((await alice.history.get(BOB, held.id))!.item.status).toBe('pending');
  }, 30_000);

  it('gives no sync copy to an own device under another identity key, and warns once per send', async () => {
    const { relay, alice, bob } = await pair();
    const fake = await relayDevice(relay, ALICE, 2, { freshIdentity: true, service: false });
    let warnings = 0;
    alice.service.on('own-identity', () => warnings++);

    const item = await alice.service.send(BOB, 'the server wants a copy');
    // The server insists on a copy for "every" device; the send ends failed instead of pending forever.
    await until(async () => expect((await alice.history.get(BOB, item.id))!.item.status).toBe('failed'));
    expect(warnings).toBeGreaterThan(0);
    expect(relay.log.flatMap((p) => p.envelopes).some((e) => e.deviceId === fake.deviceId)).toBe(false);
    expect(await alice.engine.hasSession({ name: ALICE, deviceId: 2 })).toBe(false);
    expect(await rows(bob, ALICE)).toEqual([]);
  }, 30_000);

  it('keeps a send pending when the transport fails to store it, and fails only a schema refusal', async () => {
    const { alice, bob } = await pair();
    const send = vi.spyOn(alice.transport, 'send').mockRejectedValueOnce(new Error('QuotaExceededError'));
    const kept = await alice.service.send(BOB, 'storage hiccup');
    await until(async () => expect((await rows(bob, ALICE)).map((r) => r.text)).toEqual(['storage hiccup']));
    expect((await alice.history.get(BOB, kept.id))!.item.status).not.toBe('failed');

    send.mockRejectedValueOnce(new TypeError('message:send payload: too big'));
    const refused = await alice.service.send(BOB, 'refused by the schema');
    await until(async () => expect((await alice.history.get(BOB, refused.id))!.item.status).toBe('failed'));
    expect(await alice.history.stateKeys('send:')).not.toContain(refused.id);
  }, 30_000);

  it('resends only messages of the asking contact, and each only a few times', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    const carol = await relayDevice(relay, CAROL_ID, 1, { contacts: [ALICE] });
    carol.transport.connect();
    await alice.service.send(BOB, 'for bob only');
    await alice.service.send(CAROL_ID, 'for carol');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    await until(async () => expect(await rows(carol, ALICE)).toHaveLength(1));
    const [forBob] = await rows(alice, BOB);
    const [forCarol] = await rows(alice, CAROL_ID);
    const messagesFromAlice = () => relay.log.filter((p) => p.kind === 'message').length;
    const before = messagesFromAlice();
    const ask = (device: Device, messageIds: string[]) =>
      (device.service as unknown as { queueControl(to: string, c: unknown): Promise<void> }).queueControl(ALICE, {
        v: 1,
        t: 'resend',
        messageIds,
        sentAt: relay.clock,
      });

    await ask(carol, [forBob!.messageId!]); // not carol's conversation: ignored
    await new Promise((r) => setTimeout(r, 300));
    expect(messagesFromAlice()).toBe(before);

    for (let i = 0; i < 5; i++) await ask(carol, [forCarol!.messageId!]);
    await new Promise((r) => setTimeout(r, 500));
    expect(messagesFromAlice()).toBe(before + 3); // MAX_RESENDS_PER_MESSAGE
  }, 30_000);

  it('moves a retried message by the statuses of its new client message id', async () => {
    const { relay, alice, bob } = await pair();
    bob.transport.disconnect();
    const item = await alice.service.send(BOB, 'expires first');
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('sent'));
    const [sent] = await rows(alice, BOB);
    relay.devices.get(bob.deviceId)!.queue.length = 0;
    alice.transport.emitEvent('notice', {
      id: '91',
      kind: 'expired',
      recipientUserId: BOB,
      messageIds: [sent!.messageId!],
      serverTimestamp: new Date().toISOString(),
    });
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('failed'));
    await alice.service.retry(BOB, item.id);
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('sent'));
    const retried = relay.log.at(-1)!;
    expect(retried.clientMessageId).not.toBe(item.id);
    const [row] = await rows(alice, BOB);
    alice.transport.emitEvent('status', {
      clientMessageId: retried.clientMessageId,
      messageId: row!.messageId!,
      status: 'delivered',
    });
    await until(async () => expect((await rows(alice, BOB))[0]!.status).toBe('delivered'));
  }, 30_000);

  it("indexes a resend under its client and server ids, so the resend's own placeholder can be fixed", async () => {
    const { relay, alice, bob } = await pair();
    await alice.service.send(BOB, 'establish');
    await until(async () => expect((await rows(alice, BOB))[0]?.status).toBe('delivered'));
    const acks = new Map<string, string>();
    alice.transport.on('sent', (id, ack) => acks.set(id, ack.messageId));
    await bob.engine.deleteSession({ name: ALICE, deviceId: 1 });
    const lost = await alice.service.send(BOB, 'lost at first');
    await until(async () =>
      expect((await rows(bob, ALICE)).map((r) => r.text)).toEqual(['establish', 'lost at first']),
    );
    const resend = relay.log.filter((p) => p.kind === 'message').at(-1)!;
    expect(resend.clientMessageId).not.toBe(lost.id);
    await until(() => expect(acks.has(resend.clientMessageId)).toBe(true));
    await until(async () =>
      expect((await alice.history.byMessageId(acks.get(resend.clientMessageId)!))?.item.id).toBe(lost.id),
    );
    expect((await alice.history.byClientId(resend.clientMessageId))?.item.id).toBe(lost.id);
  }, 40_000);

  it('stores the delivered receipts of its batch window when stopped, and sends them on the next start', async () => {
    const { relay, alice, bob } = await pair();
    bob.transport.onEnvelope = async (e) => {
      const content = await bob.service.handleEnvelope(e);
      bob.service.stop(); // inside the 50 ms batch window
      return content;
    };
    await alice.service.send(BOB, 'hi');
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    await until(async () => expect(await bob.history.stateKeys('send:')).toHaveLength(1));
    expect(relay.log.some((p) => p.kind === 'receipt')).toBe(false);

    const restarted = bob.build();
    await restarted.start();
    await until(() => expect(relay.log.some((p) => p.kind === 'receipt' && p.recipientUserId === ALICE)).toBe(true));
    restarted.stop();
  }, 30_000);

  it('claims a bundle only for the device without a session; the others keep their one-time prekeys', async () => {
    const relay = new FakeRelay();
    const { alice, bob } = await pair(relay);
    const laptop = await relayDevice(relay, BOB, 2);
    laptop.transport.connect();
    await alice.service.send(BOB, 'to both');
    await until(async () => expect(await rows(laptop, ALICE)).toHaveLength(1));
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(1));
    const phoneClaims = relay.devices.get(bob.deviceId)!.claimed;
    const laptopClaims = relay.devices.get(laptop.deviceId)!.claimed;

    await alice.engine.deleteSession({ name: BOB, deviceId: 2 }); // e.g. reset after an undecryptable message
    await alice.service.send(BOB, 'laptop needs a new session');
    await until(async () => expect(await rows(laptop, ALICE)).toHaveLength(2));
    expect(relay.devices.get(laptop.deviceId)!.claimed).toBe(laptopClaims + 1);
    expect(relay.devices.get(bob.deviceId)!.claimed).toBe(phoneClaims);
    await until(async () => expect(await rows(bob, ALICE)).toHaveLength(2));
  }, 30_000);
});

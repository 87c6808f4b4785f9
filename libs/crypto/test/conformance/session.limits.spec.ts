/**
 * Limits and edge cases, with a ts sender (whose state we can fast-forward) against both engines
 * as receiver, and both engines as initiator for the unacknowledged-session age.
 */
import { describe, expect, it } from '@jest/globals';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_UNACKNOWLEDGED_SESSION_AGE_MS } from '../../src/constants.js';
import { concat } from '../../src/bytes.js';
import { decodeSignalMessage, encodeSignalMessageBody } from '../../src/proto/messages.js';
import { deriveMessageKeys, messageKeySeed } from '../../src/ratchet/keys.js';
import { aesCbcEncrypt, computeMac } from '../../src/ratchet/message-cipher.js';
import { parseSpqrMessage } from '../../src/spqr/chain.js';
import { tsEngine } from '../../src/index.js';
import { ALICE, BOB, ENGINES } from '../support/engines.js';
import { expectProtocolError } from '../support/expect-code.js';
import { snapshot } from '../support/memory-stores.js';
import { makeParty, publishBundle, receive, send, utf8 } from '../support/parties.js';
import { editTsSession, skipSendingChain } from '../support/ts-session.js';
import type { ProtocolEngine } from '../../src/engine.js';

async function established(bobEngine: ProtocolEngine, aliceEngine: ProtocolEngine = tsEngine, opts = {}) {
  const alice = await makeParty(aliceEngine, ALICE);
  const bob = await makeParty(bobEngine, BOB);
  await alice.engine.processPreKeyBundle(await publishBundle(bob, opts), bob.address, alice.address, alice.stores);
  expect(await receive(bob, alice, await send(alice, bob, 'hi'))).toBe('hi');
  expect(await receive(alice, bob, await send(bob, alice, 'hello'))).toBe('hello');
  return { alice, bob };
}

describe.each(ENGINES.map((e) => [e.name, e] as const))('receiver %s', (_n, be) => {
  it(`accepts a jump of ${MAX_FORWARD_JUMPS - 8}, keeps only ${MAX_MESSAGE_KEYS} skipped keys, refuses ${MAX_FORWARD_JUMPS + 1}`, async () => {
    const { alice, bob } = await established(be);
    const old = await send(alice, bob, 'oldest skipped');
    await editTsSession(alice, bob.address, skipSendingChain(MAX_FORWARD_JUMPS - 10));
    const recent = await send(alice, bob, 'recent skipped');
    const far = await send(alice, bob, 'far ahead');
    expect(await receive(bob, alice, far)).toBe('far ahead');
    expect(await receive(bob, alice, recent)).toBe('recent skipped');
    await expectProtocolError(receive(bob, alice, old), 'DuplicatedMessage');
    await editTsSession(alice, bob.address, skipSendingChain(MAX_FORWARD_JUMPS + 1));
    const tooFar = await send(alice, bob, 'too far');
    const before = snapshot(bob.stores);
    await expectProtocolError(receive(bob, alice, tooFar), 'InvalidMessage');
    expect(snapshot(bob.stores)).toBe(before);
    expect(await receive(alice, bob, await send(bob, alice, 'still fine'))).toBe('still fine');
  }, 60_000);

  it('rejects a message without an SPQR payload ("Minimum version")', async () => {
    const { alice, bob } = await established(be);
    // craft a correctly MACed SignalMessage with an empty pq_ratchet from Alice's real state
    let body!: Uint8Array;
    await editTsSession(alice, bob.address, (r) => {
      const s = r.current!;
      const keys = deriveMessageKeys(messageKeySeed(s.sender.chainKey), undefined);
      const unsigned = encodeSignalMessageBody({
        ratchetKey: s.sender.ratchetPublic,
        counter: s.sender.index,
        previousCounter: s.previousCounter,
        ciphertext: aesCbcEncrypt(keys.cipherKey, keys.iv, utf8('no pq')),
        pqRatchet: new Uint8Array(0),
      });
      body = concat(unsigned, computeMac(keys.macKey, s.localIdentity, s.remoteIdentity, unsigned));
    });
    const before = snapshot(bob.stores);
    await expectProtocolError(
      bob.engine.decrypt({ type: 2, body }, alice.address, bob.address, bob.stores),
      'InvalidMessage',
    );
    expect(snapshot(bob.stores)).toBe(before);
  });

  it('refuses a replayed PreKey message once its session is gone (last-resort Kyber key)', async () => {
    const alice = await makeParty(tsEngine, ALICE);
    const bob = await makeParty(be, BOB);
    await alice.engine.processPreKeyBundle(
      await publishBundle(bob, { oneTime: false, lastResortKyber: true }),
      bob.address,
      alice.address,
      alice.stores,
    );
    const m = await send(alice, bob, 'once');
    expect(await receive(bob, alice, m)).toBe('once');
    bob.stores.session.sessions.clear();
    const before = snapshot(bob.stores);
    await expect(receive(bob, alice, m)).rejects.toBeDefined();
    expect(bob.stores.session.sessions.size).toBe(0);
    expect(snapshot(bob.stores)).toBe(before);
  });

  it('rejects a PreKey message with a modified Kyber ciphertext', async () => {
    const alice = await makeParty(tsEngine, ALICE);
    const bob = await makeParty(be, BOB);
    await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores);
    const m = await send(alice, bob, 'pq');
    const body = Uint8Array.from(m.body);
    const at = body.length - 400; // inside the 1569-byte Kyber ciphertext (field 8 is last)
    body[at] ^= 0x10;
    const before = snapshot(bob.stores);
    await expect(
      bob.engine.decrypt({ type: m.type, body }, alice.address, bob.address, bob.stores),
    ).rejects.toBeDefined();
    expect(snapshot(bob.stores)).toBe(before);
    expect(await receive(bob, alice, m)).toBe('pq');
  });
});

describe.each(ENGINES.map((e) => [e.name, e] as const))('initiator %s', (_n, ae) => {
  it('stops encrypting on a session unacknowledged for 30 days', async () => {
    const alice = await makeParty(ae, ALICE);
    const bob = await makeParty(tsEngine, BOB);
    const t0 = new Date('2026-01-01T00:00:00Z');
    await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores, t0);
    const day = 24 * 3600 * 1000;
    const ok = new Date(t0.getTime() + MAX_UNACKNOWLEDGED_SESSION_AGE_MS - day);
    const late = new Date(t0.getTime() + MAX_UNACKNOWLEDGED_SESSION_AGE_MS + day);
    expect(await alice.engine.hasCurrentSession(bob.address, alice.stores, ok)).toBe(true);
    expect(await alice.engine.hasCurrentSession(bob.address, alice.stores, late)).toBe(false);
    const m = await alice.engine.encrypt(utf8('in time'), bob.address, alice.address, alice.stores, ok);
    await expectProtocolError(
      alice.engine.encrypt(utf8('too late'), bob.address, alice.address, alice.stores, late),
      'SessionNotFound',
    );
    expect(await receive(bob, alice, m)).toBe('in time');
  });
});

describe('SPQR chain-only against libsignal', () => {
  it('keeps sending epoch-1 None and accepts libsignal header chunks over 100 alternating messages', async () => {
    const { nativeEngine } = await import('../../src/native/index.js');
    for (const [ae, be] of [
      [tsEngine, nativeEngine],
      [nativeEngine, tsEngine],
    ] as const) {
      const alice = await makeParty(ae, ALICE);
      const bob = await makeParty(be, BOB);
      await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores);
      const nativeTypes = new Set<number>();
      for (let i = 0; i < 100; i++) {
        const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
        const m = await send(from, to, `msg ${i}`);
        const inner =
          m.type === 3
            ? (await import('../../src/proto/messages.js')).decodePreKeySignalMessage(m.body).message
            : m.body;
        const pq = parseSpqrMessage(decodeSignalMessage(inner).pqRatchet);
        if (from.engine.name === 'ts') expect([pq.epoch, pq.type]).toEqual([1, 0]);
        else nativeTypes.add(pq.type);
        expect(pq.epoch).toBe(1);
        expect(await receive(to, from, m)).toBe(`msg ${i}`);
      }
      // libsignal as initiator is the epoch-1 "ek side": it sends header chunks (type 1), which we
      // accept and ignore; as responder it waits for a header and sends None only.
      expect([...nativeTypes].sort()).toEqual(ae.name === 'native' ? [1] : [0]);
    }
  }, 60_000);
});

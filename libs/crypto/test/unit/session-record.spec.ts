/**
 * The ts-engine session record: binary format 2 round-trips every field, format-1 (JSON) records
 * written by earlier versions still load and keep working, and malformed input is refused.
 */
import { describe, expect, it } from '@jest/globals';
import { tsEngine } from '../../src/index.js';
import { RECORD_MAGIC } from '../../src/session/record-codec.js';
import {
  decodeSessionRecord,
  encodeSessionRecord,
  encodeSessionRecordV1,
  type SessionRecordData,
  type SessionState,
} from '../../src/session/state.js';
import { ALICE, BOB } from '../support/engines.js';
import { makeParty, publishBundle, receive, send } from '../support/parties.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function state(seed: number, opts: { pending?: boolean; preKeyId?: boolean } = {}): SessionState {
  return {
    version: 4,
    localIdentity: bytes(33, seed + 1),
    remoteIdentity: bytes(33, seed + 2),
    rootKey: bytes(32, seed + 3),
    previousCounter: 17,
    sender: {
      ratchetPrivate: bytes(32, seed + 4),
      ratchetPublic: bytes(33, seed + 5),
      chainKey: bytes(32, seed + 6),
      index: 2 ** 31 + 5,
    },
    receivers: [
      { ratchetKey: bytes(33, seed + 7), chainKey: bytes(32, seed + 8), index: 3, skipped: [] },
      {
        ratchetKey: bytes(33, seed + 9),
        chainKey: bytes(32, seed + 10),
        index: 2100,
        skipped: [
          { index: 2099, seed: bytes(32, seed + 11) },
          { index: 7, seed: bytes(32, seed + 12) },
        ],
      },
    ],
    ...(opts.pending
      ? {
          pending: {
            ...(opts.preKeyId ? { preKeyId: 16_777_215 } : {}),
            signedPreKeyId: 9,
            kyberPreKeyId: 10,
            kyberCiphertext: bytes(1569, seed + 13),
            baseKey: bytes(33, seed + 14),
            createdAt: 1_764_000_000_123,
          },
        }
      : {}),
    localRegistrationId: 16380,
    remoteRegistrationId: 1,
    aliceBaseKey: bytes(33, seed + 15),
    spqr: {
      send: { next: bytes(32, seed + 16), ctr: 0 },
      recv: { next: bytes(32, seed + 17), ctr: 40, skipped: [{ index: 38, key: bytes(32, seed + 18) }] },
      maxJump: Number.MAX_SAFE_INTEGER,
    },
    selfSession: seed % 2 === 1,
  };
}

const full: SessionRecordData = {
  current: state(0, { pending: true, preKeyId: true }),
  previous: [state(20, { pending: true }), state(40), state(61)],
};

describe('session record format 2', () => {
  it('round-trips every field, with and without optional parts', () => {
    for (const r of [
      full,
      { current: null, previous: [] },
      { current: null, previous: [state(1)] },
      { current: state(2), previous: [] },
    ]) {
      const encoded = encodeSessionRecord(r);
      expect(encoded.subarray(0, 4)).toEqual(RECORD_MAGIC);
      expect(decodeSessionRecord(encoded)).toEqual(r);
    }
  });

  it('is smaller than format 1', () => {
    expect(encodeSessionRecord(full).length).toBeLessThan(encodeSessionRecordV1(full).length * 0.8);
  });

  it('still reads format-1 (JSON) records', () => {
    expect(decodeSessionRecord(encodeSessionRecordV1(full))).toEqual(full);
  });

  it('refuses truncated, extended and out-of-range records with InvalidSessionStructure', () => {
    const encoded = encodeSessionRecord(full);
    const refused = (b: Uint8Array) => {
      expect(() => decodeSessionRecord(b)).toThrow(expect.objectContaining({ code: 'InvalidSessionStructure' }));
    };
    for (let n = 0; n < encoded.length; n += 97) refused(encoded.subarray(0, n));
    refused(encoded.subarray(0, encoded.length - 1));
    refused(Uint8Array.of(...encoded, 0));
    const badFlag = Uint8Array.from(encoded);
    badFlag[4] = 2; // `current` presence flag
    refused(badFlag);
    const negative = Uint8Array.from(encoded);
    new DataView(negative.buffer).setFloat64(5, -1); // current.version
    refused(negative);
    const fraction = Uint8Array.from(encoded);
    new DataView(fraction.buffer).setFloat64(5, 4.5);
    refused(fraction);
    const hugeCount = Uint8Array.from([...RECORD_MAGIC, 0, ...new Uint8Array(8)]);
    new DataView(hugeCount.buffer).setFloat64(5, 2 ** 40); // previous.length
    refused(hugeCount);
  });
});

describe('session records stored by earlier versions (format 1)', () => {
  it('keep working in both directions and are rewritten as format 2', async () => {
    const alice = await makeParty(tsEngine, ALICE);
    const bob = await makeParty(tsEngine, BOB);
    await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores);
    expect(await receive(bob, alice, await send(alice, bob, 'one'))).toBe('one');
    expect(await receive(alice, bob, await send(bob, alice, 'two'))).toBe('two');
    for (const [party, peer] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const stored = await party.stores.session.loadSession(peer.address);
      await party.stores.session.storeSession(peer.address, encodeSessionRecordV1(decodeSessionRecord(stored!)));
      expect((await party.stores.session.loadSession(peer.address))![0]).toBe(0x7b); // '{'
    }
    expect(await receive(bob, alice, await send(alice, bob, 'three'))).toBe('three');
    expect(await receive(alice, bob, await send(bob, alice, 'four'))).toBe('four');
    expect((await alice.stores.session.loadSession(bob.address))!.subarray(0, 4)).toEqual(RECORD_MAGIC);
    expect((await bob.stores.session.loadSession(alice.address))!.subarray(0, 4)).toEqual(RECORD_MAGIC);
  });
});

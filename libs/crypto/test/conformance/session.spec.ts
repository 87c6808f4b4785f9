/**
 * Conformance: every scenario on {native, ts} × {native, ts} (initiator × responder), modelled on
 * libsignal `rust/protocol/tests/session.rs`. The native engine is libsignal-client 0.103.
 */
import { describe, expect, it } from '@jest/globals';
import { CiphertextMessageType } from '../../src/constants.js';
import type { CiphertextMessage } from '../../src/engine.js';
import * as signal from '@signalapp/libsignal-client';
import { ProtocolAddress } from '../../src/address.js';
import { IdentityKeyPair } from '../../src/curve.js';
import { decodePreKeySignalMessage, decodeSignalMessage } from '../../src/proto/messages.js';
import { parseKyberPreKeyRecord, parsePreKeyRecord, parseSignedPreKeyRecord } from '../../src/prekeys.js';
import { inMemoryStores, snapshot } from '../support/memory-stores.js';
import { expectProtocolError } from '../support/expect-code.js';
import { ALICE, BOB, ENGINES, MALLORY, MATRIX } from '../support/engines.js';
import { makeParty, publishBundle, receive, send, utf8, type Party } from '../support/parties.js';

const own = (b: Uint8Array) => Uint8Array.from(b) as Uint8Array<ArrayBuffer>;

const tamper = (m: CiphertextMessage, at = m.body.length - 1): CiphertextMessage => {
  const body = Uint8Array.from(m.body);
  body[at] ^= 0x01;
  return { type: m.type, body };
};

/** Deterministic PRNG for delivery schedules. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe('key material across engines', () => {
  for (const signer of ENGINES)
    for (const verifier of ENGINES) {
      it(`${signer.name} keys and signatures verify in ${verifier.name}`, async () => {
        const kp = await signer.keys.generateKeyPair();
        expect(kp.publicKey.length).toBe(33);
        expect(kp.publicKey[0]).toBe(0x05);
        expect(await verifier.keys.publicKeyOf(kp.privateKey)).toEqual(kp.publicKey);
        const msg = utf8('signed prekey or anything');
        const sig = await signer.keys.sign(kp.privateKey, msg);
        expect(await verifier.keys.verify(kp.publicKey, msg, sig)).toBe(true);
        const bad = Uint8Array.from(sig);
        bad[5] ^= 0x40;
        expect(await verifier.keys.verify(kp.publicKey, msg, bad)).toBe(false);
        expect(await verifier.keys.verify(kp.publicKey, utf8('other message'), sig)).toBe(false);
        const other = await verifier.keys.generateKeyPair();
        expect(await signer.keys.agree(kp.privateKey, other.publicKey)).toEqual(
          await verifier.keys.agree(other.privateKey, kp.publicKey),
        );
      });
    }
});

describe('prekey records across engines', () => {
  for (const maker of ENGINES) {
    it(`records made by ${maker.name} load in libsignal and in the ts parser`, async () => {
      const ikp = IdentityKeyPair.deserialize(await maker.keys.generateIdentityKeyPair());
      const ec = await maker.keys.generateKeyPair();
      const kem = await maker.keys.generateKemKeyPair();
      const ecSig = await maker.keys.sign(ikp.privateKey.serialize(), ec.publicKey);
      const kemSig = await maker.keys.sign(ikp.privateKey.serialize(), kem.publicKey);
      const pre = await maker.records.preKeyRecord(11, ec);
      const signed = await maker.records.signedPreKeyRecord(12, 1_700_000_000_000, ec, ecSig);
      const kyber = await maker.records.kyberPreKeyRecord(13, 1_700_000_000_001, kem, kemSig);
      expect(parsePreKeyRecord(pre).publicKey.serialize()).toEqual(ec.publicKey);
      const sp = parseSignedPreKeyRecord(signed);
      expect([sp.id, sp.timestamp, sp.privateKey.serialize()]).toEqual([12, 1_700_000_000_000, ec.privateKey]);
      expect(parseKyberPreKeyRecord(kyber).keyPair.secretKey.serialize()).toEqual(kem.secretKey);
      expect(signal.PreKeyRecord.deserialize(own(pre)).id()).toBe(11);
      expect(signal.SignedPreKeyRecord.deserialize(own(signed)).signature()).toEqual(ecSig);
      expect(signal.KyberPreKeyRecord.deserialize(own(kyber)).timestamp()).toBe(1_700_000_000_001);
    });
  }
});

describe.each(MATRIX.map(([a, b]) => [a.name, b.name, a, b] as const))('session %s -> %s', (_an, _bn, ae, be) => {
  async function setup(opts: { oneTime?: boolean } = {}) {
    const alice = await makeParty(ae, ALICE);
    const bob = await makeParty(be, BOB);
    const bundle = await publishBundle(bob, opts);
    await alice.engine.processPreKeyBundle(bundle, bob.address, alice.address, alice.stores);
    return { alice, bob, bundle };
  }

  it('rejects a bundle with an invalid signed-prekey or Kyber signature', async () => {
    const alice = await makeParty(ae, ALICE);
    const bob = await makeParty(be, BOB);
    const bundle = await publishBundle(bob);
    const before = snapshot(alice.stores);
    const badSpk = { ...bundle, signedPreKeySignature: Uint8Array.from(bundle.signedPreKeySignature) };
    badSpk.signedPreKeySignature[0] ^= 1;
    await expectProtocolError(
      alice.engine.processPreKeyBundle(badSpk, bob.address, alice.address, alice.stores),
      'SignatureValidationFailed',
    );
    const badKyber = { ...bundle, kyberPreKeySignature: Uint8Array.from(bundle.kyberPreKeySignature) };
    badKyber.kyberPreKeySignature[0] ^= 1;
    await expectProtocolError(
      alice.engine.processPreKeyBundle(badKyber, bob.address, alice.address, alice.stores),
      'SignatureValidationFailed',
    );
    expect(snapshot(alice.stores)).toBe(before);
  });

  it('decrypts several PreKey messages delivered out of order, then switches to Whisper', async () => {
    const { alice, bob, bundle } = await setup();
    const m = [await send(alice, bob, 'one'), await send(alice, bob, 'two'), await send(alice, bob, 'three')];
    expect(m.map((x) => x.type)).toEqual([3, 3, 3]);
    // ServiceId names: both engines bind sender and recipient into PreKey-wrapped messages
    expect(decodeSignalMessage(decodePreKeySignalMessage(m[0].body).message).addresses?.length).toBe(36);
    expect(await receive(bob, alice, m[0])).toBe('one');
    expect(await receive(bob, alice, m[2])).toBe('three');
    expect(await receive(bob, alice, m[1])).toBe('two');
    // the Kyber prekey was marked used exactly once, with the right ids and base key; OPK removed
    expect(bob.stores.kyberPreKey.markCalls.map((c) => [c.kyberPreKeyId, c.signedPreKeyId])).toEqual([
      [bundle.kyberPreKeyId, bundle.signedPreKeyId],
    ]);
    expect(bob.stores.kyberPreKey.markCalls[0].baseKey.length).toBe(33);
    expect(await bob.stores.preKey.loadPreKey(bundle.preKeyId!)).toBeNull();
    await expectProtocolError(receive(bob, alice, m[1]), 'DuplicatedMessage');
    const reply = await send(bob, alice, 'reply');
    expect(reply.type).toBe(CiphertextMessageType.Whisper);
    expect(await receive(alice, bob, reply)).toBe('reply');
    const next = await send(alice, bob, 'after reply');
    expect(next.type).toBe(CiphertextMessageType.Whisper);
    expect(await receive(bob, alice, next)).toBe('after reply');
  });

  it('reports missing prekeys by kind and leaves the stores unchanged', async () => {
    const { alice, bob, bundle } = await setup();
    const m = await send(alice, bob, 'needs prekeys');
    const cases = [
      ['signedPreKey', bundle.signedPreKeyId, 'InvalidSignedPreKeyId'],
      ['kyberPreKey', bundle.kyberPreKeyId, 'InvalidKyberPreKeyId'],
      ['preKey', bundle.preKeyId!, 'InvalidPreKeyId'],
    ] as const;
    for (const [store, id, code] of cases) {
      const records = bob.stores[store].records;
      const saved = records.get(id)!;
      records.delete(id);
      const before = snapshot(bob.stores);
      await expectProtocolError(receive(bob, alice, m), code);
      expect(snapshot(bob.stores)).toBe(before);
      records.set(id, saved);
    }
    expect(await receive(bob, alice, m)).toBe('needs prekeys');
  });

  it('works without a one-time prekey', async () => {
    const { alice, bob } = await setup({ oneTime: false });
    expect(await receive(bob, alice, await send(alice, bob, 'no opk'))).toBe('no opk');
    expect(await receive(alice, bob, await send(bob, alice, 'ok'))).toBe('ok');
  });

  it('survives 200+ messages with direction changes, reordering, drops, duplicates and tampering', async () => {
    const { alice, bob } = await setup();
    const rand = lcg(0xc0ffee ^ (ae.name.length * 7 + be.name.length));
    expect(await receive(bob, alice, await send(alice, bob, 'start'))).toBe('start');
    const late: { from: Party; to: Party; m: CiphertextMessage; text: string; round: number }[] = [];
    let total = 1;
    let checkedTamper = 0;
    let checkedDup = 0;
    for (let round = 0; total < 220; round++) {
      const [from, to] = round % 2 === 0 ? [bob, alice] : [alice, bob];
      const burst = 1 + rand(6);
      const sent: { m: CiphertextMessage; text: string }[] = [];
      for (let i = 0; i < burst; i++) {
        const t = `r${round}m${i}`;
        sent.push({ m: await send(from, to, t), text: t });
        total++;
      }
      // deliver in a shuffled order; hold some back for later, drop a few for good
      for (let i = sent.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [sent[i], sent[j]] = [sent[j], sent[i]];
      }
      for (const s of sent) {
        const r = rand(10);
        if (r === 0) continue; // dropped
        if (r === 1) {
          late.push({ from, to, ...s, round });
          continue;
        }
        if (r === 2 && checkedTamper < 6) {
          const before = snapshot(to.stores);
          await expectProtocolError(
            to.engine.decrypt(tamper(s.m), from.address, to.address, to.stores),
            'InvalidMessage',
          );
          expect(snapshot(to.stores)).toBe(before);
          checkedTamper++;
        }
        expect(await receive(to, from, s.m)).toBe(s.text);
        if (r === 3 && checkedDup < 6) {
          await expectProtocolError(receive(to, from, s.m), 'DuplicatedMessage');
          checkedDup++;
        }
      }
      // deliver held-back messages from earlier chains, at the latest 3 rounds later (the
      // receiver keeps MAX_RECEIVER_CHAINS = 5 old chains; older ones are gone by design)
      for (let i = late.length - 1; i >= 0; i--) {
        const l = late[i];
        if (round - l.round >= 3 || rand(3) === 0) {
          late.splice(i, 1);
          expect(await receive(l.to, l.from, l.m)).toBe(l.text);
        }
      }
    }
    for (const l of late) expect(await receive(l.to, l.from, l.m)).toBe(l.text);
    expect(total).toBeGreaterThanOrEqual(220);
    expect(checkedTamper).toBeGreaterThan(0);
    expect(checkedDup).toBeGreaterThan(0);
  });

  it('converges after a simultaneous initiate (archived session promoted, Sesame)', async () => {
    const alice = await makeParty(ae, ALICE);
    const bob = await makeParty(be, BOB);
    await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores);
    await bob.engine.processPreKeyBundle(await publishBundle(alice), alice.address, bob.address, bob.stores);
    const a1 = await send(alice, bob, 'from alice');
    const b1 = await send(bob, alice, 'from bob');
    expect([a1.type, b1.type]).toEqual([3, 3]);
    expect(await receive(bob, alice, a1)).toBe('from alice');
    expect(await receive(alice, bob, b1)).toBe('from bob');
    // each side now has two sessions; whichever one a message uses, the other side finds it
    for (let i = 0; i < 4; i++) {
      const a = await send(alice, bob, `a${i}`);
      expect(a.type).toBe(CiphertextMessageType.Whisper);
      expect(await receive(bob, alice, a)).toBe(`a${i}`);
      const b = await send(bob, alice, `b${i}`);
      expect(b.type).toBe(CiphertextMessageType.Whisper);
      expect(await receive(alice, bob, b)).toBe(`b${i}`);
    }
  });

  it('runs a self-session between two devices of one account sharing the identity key', async () => {
    const d1 = await makeParty(ae, ALICE, 1);
    const d2 = await makeParty(be, ALICE, 2);
    const shared = await d1.stores.identity.getIdentityKeyPair();
    d2.stores = inMemoryStores(shared, d2.registrationId);
    d2.identityPublic = d1.identityPublic;
    await d1.engine.processPreKeyBundle(await publishBundle(d2), d2.address, d1.address, d1.stores);
    expect(await receive(d2, d1, await send(d1, d2, 'sync copy'))).toBe('sync copy');
    expect(await receive(d1, d2, await send(d2, d1, 'ack'))).toBe('ack');
  });

  it('rejects messages attributed to the wrong address and leaves stores unchanged', async () => {
    const { alice, bob } = await setup();
    const m1 = await send(alice, bob, 'hello');
    // the PreKey message carries the addresses field: a different local address must fail
    const otherLocal = new ProtocolAddress(MALLORY, 1);
    const before = snapshot(bob.stores);
    await expectProtocolError(bob.engine.decrypt(m1, alice.address, otherLocal, bob.stores), 'InvalidMessage');
    expect(snapshot(bob.stores)).toBe(before);
    expect(await receive(bob, alice, m1)).toBe('hello');
    const r = await send(bob, alice, 'reply');
    // a Whisper message from an address with no session
    await expectProtocolError(
      alice.engine.decrypt(r, new ProtocolAddress(BOB, 2), alice.address, alice.stores),
      'SessionNotFound',
    );
    expect(await receive(alice, bob, r)).toBe('reply');
  });

  it('refuses a changed identity with UntrustedIdentity, never silently', async () => {
    const { alice, bob } = await setup();
    expect(await receive(bob, alice, await send(alice, bob, 'hi'))).toBe('hi');
    // Bob re-installs: same address, new identity key
    const bob2 = await makeParty(be, BOB);
    const bundle2 = await publishBundle(bob2);
    const aliceBundle = await publishBundle(alice);
    const before = snapshot(alice.stores);
    await expectProtocolError(
      alice.engine.processPreKeyBundle(bundle2, bob2.address, alice.address, alice.stores),
      'UntrustedIdentity',
    );
    expect(snapshot(alice.stores)).toBe(before);
    // and a PreKey message from the new identity is refused on receipt
    await bob2.engine.processPreKeyBundle(aliceBundle, alice.address, bob2.address, bob2.stores);
    const fromNew = await send(bob2, alice, 'new me');
    await expectProtocolError(receive(alice, bob2, fromNew), 'UntrustedIdentity');
    expect(snapshot(alice.stores)).toBe(before);
  });
});

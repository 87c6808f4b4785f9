/**
 * The responder starts its first DH ratchet step (both agreements, the new key) before PQXDH, and the
 * initiator its first sending-chain agreement alongside the PQXDH ones. These tests pin down that a
 * failure still surfaces with the error and at the point of sequential code, and commits nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { tsEngine } from '../../src/index.js';
import {
  decodePreKeySignalMessage,
  decodeSignalMessage,
  encodePreKeySignalMessage,
  encodeSignalMessageBody,
} from '../../src/proto/messages.js';
import { concat } from '../../src/bytes.js';
import { CiphertextMessageType } from '../../src/constants.js';
import { ALICE, BOB } from '../support/engines.js';
import { expectProtocolError } from '../support/expect-code.js';
import { snapshot } from '../support/memory-stores.js';
import { makeParty, publishBundle, receive, send } from '../support/parties.js';

/** A first message from a ts Alice to a ts Bob, and a copy with its inner ratchet key and/or base key replaced. */
async function firstMessage(edit: { ratchetKey?: Uint8Array; baseKey?: Uint8Array }) {
  const alice = await makeParty(tsEngine, ALICE);
  const bob = await makeParty(tsEngine, BOB);
  await alice.engine.processPreKeyBundle(await publishBundle(bob), bob.address, alice.address, alice.stores);
  const genuine = await send(alice, bob, 'hi');
  expect(genuine.type).toBe(CiphertextMessageType.PreKey);
  const pk = decodePreKeySignalMessage(genuine.body);
  const inner = decodeSignalMessage(pk.message);
  const body = encodeSignalMessageBody({ ...inner, ratchetKey: edit.ratchetKey ?? inner.ratchetKey });
  const edited = encodePreKeySignalMessage({
    ...pk,
    baseKey: edit.baseKey ?? pk.baseKey,
    message: concat(body, inner.mac),
  });
  return { alice, bob, genuine, edited: { type: genuine.type, body: edited } };
}

const LOW_ORDER = concat(Uint8Array.of(0x05), new Uint8Array(32)); // u = 0

describe('session setup with overlapped agreements (ts)', () => {
  it('a low-order ratchet key in the first message fails with InvalidKeyAgreement and commits nothing', async () => {
    const { alice, bob, genuine, edited } = await firstMessage({ ratchetKey: LOW_ORDER });
    const before = snapshot(bob.stores);
    await expectProtocolError(receive(bob, alice, edited), 'InvalidKeyAgreement');
    expect(snapshot(bob.stores)).toBe(before);
    expect(await receive(bob, alice, genuine)).toBe('hi');
  });

  it('a ratchet key that does not parse fails as before (BadKeyType) and commits nothing', async () => {
    const bad = Uint8Array.from(LOW_ORDER);
    bad[0] = 0x06;
    bad[5] = 9;
    const { alice, bob, genuine, edited } = await firstMessage({ ratchetKey: bad });
    const before = snapshot(bob.stores);
    await expectProtocolError(receive(bob, alice, edited), 'BadKeyType');
    expect(snapshot(bob.stores)).toBe(before);
    expect(await receive(bob, alice, genuine)).toBe('hi');
  });

  it("PQXDH's error comes first: a non-canonical base key with a low-order ratchet key is InvalidMessage", async () => {
    const { alice, bob, genuine, edited } = await firstMessage({ ratchetKey: LOW_ORDER, baseKey: LOW_ORDER });
    const before = snapshot(bob.stores);
    await expectProtocolError(receive(bob, alice, edited), 'InvalidMessage');
    expect(snapshot(bob.stores)).toBe(before);
    expect(await receive(bob, alice, genuine)).toBe('hi');
  });

  it('a full exchange still works both ways after a refused first message', async () => {
    const { alice, bob, genuine, edited } = await firstMessage({ ratchetKey: LOW_ORDER });
    await expectProtocolError(receive(bob, alice, edited), 'InvalidKeyAgreement');
    expect(await receive(bob, alice, genuine)).toBe('hi');
    expect(await receive(alice, bob, await send(bob, alice, 'hello'))).toBe('hello');
    expect(await receive(bob, alice, await send(alice, bob, 'again'))).toBe('again');
  });
});

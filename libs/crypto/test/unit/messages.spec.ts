import { describe, expect, it } from '@jest/globals';
import { readFields } from '../../src/proto/codec.js';
import {
  decodePreKeySignalMessage,
  decodeSignalMessage,
  encodePreKeySignalMessage,
  encodeSignalMessageBody,
} from '../../src/proto/messages.js';
import { concat } from '../../src/bytes.js';

const fields = {
  ratchetKey: Uint8Array.of(5, ...new Uint8Array(32).fill(1)),
  counter: 7,
  previousCounter: 0,
  ciphertext: new Uint8Array(16).fill(2),
  pqRatchet: Uint8Array.of(1, 1, 1, 0),
};

describe('SignalMessage codec', () => {
  it('round-trips, emitting counters even when zero, in tag order', () => {
    const body = encodeSignalMessageBody(fields);
    expect(body[0]).toBe(0x44);
    const m = decodeSignalMessage(concat(body, new Uint8Array(8).fill(9)));
    expect(m).toMatchObject({ version: 4, counter: 7, previousCounter: 0 });
    expect(m.macInput).toEqual(body);
    expect(m.mac).toEqual(new Uint8Array(8).fill(9));
    const f = readFields(body.subarray(1));
    expect(f.has(3)).toBe(true);
    expect(f.has(6)).toBe(false);
  });

  it('checks length and version before parsing', () => {
    expect(() => decodeSignalMessage(new Uint8Array(8))).toThrow(
      expect.objectContaining({ code: 'CiphertextMessageTooShort' }),
    );
    const body = concat(encodeSignalMessageBody(fields), new Uint8Array(8));
    const legacy = Uint8Array.from(body);
    legacy[0] = 0x22;
    expect(() => decodeSignalMessage(legacy)).toThrow(expect.objectContaining({ code: 'LegacyCiphertextVersion' }));
    const future = Uint8Array.from(body);
    future[0] = 0x55;
    expect(() => decodeSignalMessage(future)).toThrow(expect.objectContaining({ code: 'UnrecognizedMessageVersion' }));
  });

  it('requires ratchet key, counter and ciphertext; rejects garbage protobuf', () => {
    expect(() => decodeSignalMessage(Uint8Array.of(0x44, 0x10, 0x01, ...new Uint8Array(8)))).toThrow(
      expect.objectContaining({ code: 'InvalidProtobufEncoding' }),
    );
    expect(() => decodeSignalMessage(Uint8Array.of(0x44, 0x0a, 0x50, ...new Uint8Array(8)))).toThrow(
      expect.objectContaining({ code: 'InvalidProtobufEncoding' }),
    );
  });
});

describe('PreKeySignalMessage codec', () => {
  const pk = {
    registrationId: 99,
    preKeyId: 3,
    signedPreKeyId: 4,
    kyberPreKeyId: 5,
    kyberCiphertext: Uint8Array.of(8, 1, 2),
    baseKey: Uint8Array.of(5, 1),
    identityKey: Uint8Array.of(5, 2),
    message: Uint8Array.of(0x44, 1, 2, 3),
  };
  it('round-trips with and without a one-time prekey id', () => {
    expect(decodePreKeySignalMessage(encodePreKeySignalMessage(pk))).toMatchObject({ ...pk, version: 4 });
    const { preKeyId: _drop, ...noOpk } = pk;
    expect(decodePreKeySignalMessage(encodePreKeySignalMessage(noOpk)).preKeyId).toBeUndefined();
  });
  it('rejects version 3 (X3DH) and a missing Kyber ciphertext', () => {
    const v3 = encodePreKeySignalMessage(pk);
    v3[0] = 0x33;
    expect(() => decodePreKeySignalMessage(v3)).toThrow(expect.objectContaining({ code: 'InvalidMessage' }));
    expect(() => decodePreKeySignalMessage(Uint8Array.of(0x44))).toThrow(
      expect.objectContaining({ code: 'InvalidMessage' }),
    );
  });
});

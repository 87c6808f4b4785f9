import { describe, expect, it } from '@jest/globals';
import { ProtocolAddress } from '../../src/address.js';
import { ProtocolError } from '../../src/errors.js';
import { tsEngine } from '../../src/index.js';
import { serializePreKeyRecord } from '../../src/prekeys.js';
import { ALICE } from '../support/engines.js';
import { expectProtocolError } from '../support/expect-code.js';
import { makeParty } from '../support/parties.js';

describe('ts engine input checks', () => {
  it('rejects malformed keys with protocol codes and wrong types with TypeError', async () => {
    await expectProtocolError(tsEngine.keys.sign(new Uint8Array(31), new Uint8Array(1)), 'BadKeyLength');
    await expectProtocolError(
      tsEngine.keys.verify(new Uint8Array(33), new Uint8Array(1), new Uint8Array(64)),
      'BadKeyType',
    );
    await expect(tsEngine.keys.sign('key' as unknown as Uint8Array, new Uint8Array(1))).rejects.toThrow(TypeError);
    expect(() => serializePreKeyRecord(-1, { publicKey: new Uint8Array(33), privateKey: new Uint8Array(32) })).toThrow(
      RangeError,
    );
  });

  it('validates protocol addresses', () => {
    expect(() => new ProtocolAddress('', 1)).toThrow(ProtocolError);
    expect(() => new ProtocolAddress('x', 0)).toThrow(expect.objectContaining({ code: 'InvalidProtocolAddress' }));
    expect(() => new ProtocolAddress('x', 128)).toThrow(expect.objectContaining({ code: 'InvalidProtocolAddress' }));
    expect(() => new ProtocolAddress('x', 1.5)).toThrow(TypeError);
    expect(new ProtocolAddress('x', 127).toString()).toBe('x.127');
  });

  it('refuses garbage messages without touching the stores', async () => {
    const p = await makeParty(tsEngine, ALICE);
    const from = new ProtocolAddress('other', 1);
    await expectProtocolError(
      tsEngine.decrypt({ type: 2, body: new Uint8Array(3) }, from, p.address, p.stores),
      'CiphertextMessageTooShort',
    );
    await expectProtocolError(
      tsEngine.decrypt(
        { type: 2, body: Uint8Array.of(0x44, 0x0a, 0x21, 5, ...new Uint8Array(40)) },
        from,
        p.address,
        p.stores,
      ),
      'InvalidProtobufEncoding',
    );
    await expectProtocolError(tsEngine.encrypt(new Uint8Array(1), from, p.address, p.stores), 'SessionNotFound');
    expect(p.stores.session.sessions.size).toBe(0);
  });
});

/**
 * The store contract: what every implementation of the five stores (`src/stores.ts`) must do.
 * Run it against any implementation with `runStoreContract(name, factory)`.
 */
import { describe, expect, it } from '@jest/globals';
import { ProtocolAddress } from '../../src/address.js';
import { IdentityKeyPair } from '../../src/curve.js';
import { Direction, IdentityChange, type ProtocolStores } from '../../src/stores.js';

export type StoreFactory = (identityKeyPair: Uint8Array, registrationId: number) => Promise<ProtocolStores>;

export function runStoreContract(name: string, factory: StoreFactory): void {
  const ikp = IdentityKeyPair.generate().serialize();
  const addr = new ProtocolAddress('2c3bd3a8-42ad-4f3c-8d4b-3a0b0f1e7f20', 3);
  // Another account: whether two devices of one account may hold different identity keys is the
  // implementation's policy (the web store ties the key to the account), not the contract's.
  const other = new ProtocolAddress('6f1e2d3c-4b5a-4c69-8e7f-0a1b2c3d4e5f', 4);
  const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
  const key = (fill: number) => Uint8Array.of(0x05, ...bytes(32, fill));

  describe(`store contract: ${name}`, () => {
    it('returns our identity key pair and registration id', async () => {
      const s = await factory(ikp, 4242);
      expect(await s.identity.getIdentityKeyPair()).toEqual(ikp);
      expect(await s.identity.getLocalRegistrationId()).toBe(4242);
    });

    it('sessions: missing is null, last store wins, addresses are distinct, bytes are copied', async () => {
      const s = await factory(ikp, 1);
      expect(await s.session.loadSession(addr)).toBeNull();
      const rec = bytes(10, 1);
      await s.session.storeSession(addr, rec);
      rec.fill(9); // the store kept its own copy
      expect(await s.session.loadSession(addr)).toEqual(bytes(10, 1));
      expect(await s.session.loadSession(other)).toBeNull();
      await s.session.storeSession(addr, bytes(12, 2));
      const loaded = (await s.session.loadSession(addr))!;
      expect(loaded).toEqual(bytes(12, 2));
      loaded.fill(0);
      expect(await s.session.loadSession(addr)).toEqual(bytes(12, 2));
    });

    it('identities: trust on first use, a changed key is untrusted and reported as replaced', async () => {
      const s = await factory(ikp, 1);
      expect(await s.identity.getIdentity(addr)).toBeNull();
      expect(await s.identity.isTrustedIdentity(addr, key(1), Direction.Sending)).toBe(true);
      expect(await s.identity.saveIdentity(addr, key(1))).toBe(IdentityChange.NewOrUnchanged);
      expect(await s.identity.saveIdentity(addr, key(1))).toBe(IdentityChange.NewOrUnchanged);
      expect(await s.identity.getIdentity(addr)).toEqual(key(1));
      expect(await s.identity.isTrustedIdentity(addr, key(1), Direction.Receiving)).toBe(true);
      expect(await s.identity.isTrustedIdentity(addr, key(2), Direction.Sending)).toBe(false);
      expect(await s.identity.isTrustedIdentity(addr, key(2), Direction.Receiving)).toBe(false);
      expect(await s.identity.isTrustedIdentity(other, key(2), Direction.Sending)).toBe(true);
      expect(await s.identity.saveIdentity(addr, key(2))).toBe(IdentityChange.ReplacedExisting);
      expect(await s.identity.getIdentity(addr)).toEqual(key(2));
    });

    it('prekeys: store, load, replace, remove (removing twice is fine)', async () => {
      const s = await factory(ikp, 1);
      expect(await s.preKey.loadPreKey(7)).toBeNull();
      await s.preKey.storePreKey(7, bytes(5, 1));
      await s.preKey.storePreKey(7, bytes(5, 2));
      expect(await s.preKey.loadPreKey(7)).toEqual(bytes(5, 2));
      await s.preKey.removePreKey(7);
      await s.preKey.removePreKey(7);
      expect(await s.preKey.loadPreKey(7)).toBeNull();
    });

    it('signed prekeys: store and load by id', async () => {
      const s = await factory(ikp, 1);
      expect(await s.signedPreKey.loadSignedPreKey(1)).toBeNull();
      await s.signedPreKey.storeSignedPreKey(1, bytes(5, 3));
      await s.signedPreKey.storeSignedPreKey(2, bytes(5, 4));
      expect(await s.signedPreKey.loadSignedPreKey(1)).toEqual(bytes(5, 3));
      expect(await s.signedPreKey.loadSignedPreKey(2)).toEqual(bytes(5, 4));
    });

    it('Kyber prekeys: a used key is either deleted or refuses the same (id, signed id, base key) again', async () => {
      const s = await factory(ikp, 1);
      await s.kyberPreKey.storeKyberPreKey(5, bytes(5, 5));
      expect(await s.kyberPreKey.loadKyberPreKey(5)).toEqual(bytes(5, 5));
      await s.kyberPreKey.markKyberPreKeyUsed(5, 1, key(7));
      if ((await s.kyberPreKey.loadKyberPreKey(5)) !== null) {
        await expect(s.kyberPreKey.markKyberPreKeyUsed(5, 1, key(7))).rejects.toBeDefined();
        await s.kyberPreKey.markKyberPreKeyUsed(5, 1, key(8)); // another base key is fine
      }
    });
  });
}

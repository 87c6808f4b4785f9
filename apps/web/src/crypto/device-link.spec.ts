// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { IdentityKeyPair, PrivateKey } from '@pairchat/crypto';
import { DeviceLinkError, type DeviceLinkCode } from './device-link-code.js';
import { openIdentity, sealIdentity } from './device-link.js';

const ACCOUNT = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const LINK_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

async function newDevice() {
  const ephemeralPrivateKey = await PrivateKey.generateAsync();
  const code: DeviceLinkCode = {
    linkId: LINK_ID,
    linkToken: 'ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM',
    ephemeralPublicKey: ephemeralPrivateKey.getPublicKey().getPublicKeyBytes(),
  };
  return { ephemeralPrivateKey, code };
}

describe('sealing the identity for a new device', () => {
  it('opens on the new device to the same key pair, with the same confirmation number on both sides', async () => {
    const identity = IdentityKeyPair.generate().serialize();
    const { ephemeralPrivateKey, code } = await newDevice();
    const sealed = await sealIdentity({ code, identityKeyPair: identity, accountId: ACCOUNT });
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.ciphertext.length).toBe(1 + 16 + identity.length + 16);
    const opened = await openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, sealed, accountId: ACCOUNT });
    expect(opened.identityKeyPair).toEqual(identity);
    expect(opened.confirmation).toMatch(/^\d{6}$/);
    expect(opened.confirmation).toBe(sealed.confirmation);
  });

  it('does not open with another ephemeral key (one the server could have swapped in)', async () => {
    const { code } = await newDevice();
    const sealed = await sealIdentity({
      code,
      identityKeyPair: IdentityKeyPair.generate().serialize(),
      accountId: ACCOUNT,
    });
    const intruder = await PrivateKey.generateAsync();
    await expect(
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey: intruder, sealed, accountId: ACCOUNT }),
    ).rejects.toThrow(DeviceLinkError);
  });

  it('binds the link id and both public keys: changing any of them fails', async () => {
    const { ephemeralPrivateKey, code } = await newDevice();
    const sealed = await sealIdentity({
      code,
      identityKeyPair: IdentityKeyPair.generate().serialize(),
      accountId: ACCOUNT,
    });
    const open = (overrides: object) =>
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, sealed, accountId: ACCOUNT, ...overrides });
    await expect(open({ linkId: '7c9e6679-7425-40de-944b-e07fc1f90ae8' })).rejects.toThrow('could not be decrypted');
    const otherSealer = (await PrivateKey.generateAsync()).getPublicKey().getPublicKeyBytes();
    await expect(open({ sealed: { ...sealed, ephemeralPublicKey: otherSealer } })).rejects.toThrow(DeviceLinkError);
    const flipped = sealed.ciphertext.slice();
    flipped[5] ^= 1;
    await expect(open({ sealed: { ...sealed, ciphertext: flipped } })).rejects.toThrow('could not be decrypted');
    await expect(open({ sealed: { ...sealed, iv: sealed.iv.slice(1) } })).rejects.toThrow('wrong key or nonce length');
  });

  it('refuses an identity sealed for another account', async () => {
    const { ephemeralPrivateKey, code } = await newDevice();
    const sealed = await sealIdentity({
      code,
      identityKeyPair: IdentityKeyPair.generate().serialize(),
      accountId: '0b000000-0000-4000-8000-000000000002',
    });
    await expect(openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, sealed, accountId: ACCOUNT })).rejects.toThrow(
      'belongs to another account',
    );
  });

  it('refuses a key pair whose halves do not match', async () => {
    const { ephemeralPrivateKey, code } = await newDevice();
    const a = IdentityKeyPair.generate();
    const b = IdentityKeyPair.generate();
    const mixed = new IdentityKeyPair(a.publicKey, b.privateKey).serialize();
    const sealed = await sealIdentity({ code, identityKeyPair: mixed, accountId: ACCOUNT });
    await expect(openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, sealed, accountId: ACCOUNT })).rejects.toThrow(
      'mismatched halves',
    );
  });

  it('refuses a degenerate (all-zero) key in the code', async () => {
    const { code } = await newDevice();
    await expect(
      sealIdentity({
        code: { ...code, ephemeralPublicKey: new Uint8Array(32) },
        identityKeyPair: IdentityKeyPair.generate().serialize(),
        accountId: ACCOUNT,
      }),
    ).rejects.toThrow();
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { concat, IdentityKeyPair, PrivateKey, PublicKey } from '@pairchat/crypto';
import { DeviceLinkError, type DeviceLinkCode } from './device-link-code.js';
import { DEVICE_LINK_INFO, DEVICE_LINK_VERSION, openIdentity, sealIdentity } from './device-link.js';
import { uuidBytes } from './uuid.js';

const ACCOUNT = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const LINK_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const buffer = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

async function newDevice() {
  const ephemeralPrivateKey = await PrivateKey.generateAsync();
  const codeSecret = crypto.getRandomValues(new Uint8Array(32));
  const code: DeviceLinkCode = {
    linkId: LINK_ID,
    linkToken: 'ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM',
    ephemeralPublicKey: ephemeralPrivateKey.getPublicKey().getPublicKeyBytes(),
    codeSecret,
  };
  return { ephemeralPrivateKey, codeSecret, code };
}

/**
 * What a malicious server can do with everything it sees (link id, token, account id) plus, at
 * worst, the new device's public key: the v2 construction with a code secret of its own guessing.
 */
async function forge(linkId: string, newDeviceKey: Uint8Array, identityKeyPair: Uint8Array, guessedSecret: Uint8Array) {
  const own = await PrivateKey.generateAsync();
  const E = own.getPublicKey().getPublicKeyBytes();
  const shared = await own.agree(PublicKey.fromPublicKeyBytes(newDeviceKey));
  const info = new TextEncoder().encode(DEVICE_LINK_INFO);
  const ikm = await crypto.subtle.importKey('raw', buffer(concat(shared, guessedSecret)), 'HKDF', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: buffer(uuidBytes(linkId)), info },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  );
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = concat(Uint8Array.of(DEVICE_LINK_VERSION), uuidBytes(ACCOUNT), identityKeyPair);
  const additionalData = concat(info, uuidBytes(linkId), newDeviceKey, E);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: buffer(additionalData) },
      key,
      buffer(plaintext),
    ),
  );
  return { ephemeralPublicKey: E, ciphertext, iv };
}

describe('sealing the identity for a new device', () => {
  it('opens on the new device to the same key pair, with the same confirmation number on both sides', async () => {
    const identity = IdentityKeyPair.generate().serialize();
    const { ephemeralPrivateKey, codeSecret, code } = await newDevice();
    const sealed = await sealIdentity({ code, identityKeyPair: identity, accountId: ACCOUNT });
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.ciphertext.length).toBe(1 + 16 + identity.length + 16);
    const opened = await openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, codeSecret, sealed, accountId: ACCOUNT });
    expect(opened.identityKeyPair).toEqual(identity);
    expect(opened.confirmation).toMatch(/^\d{6}$/);
    expect(opened.confirmation).toBe(sealed.confirmation);
  });

  it('refuses a seal made by someone who saw only what the server sees, even with the new device key', async () => {
    const { ephemeralPrivateKey, codeSecret, code } = await newDevice();
    const forged = await forge(
      LINK_ID,
      code.ephemeralPublicKey,
      IdentityKeyPair.generate().serialize(),
      crypto.getRandomValues(new Uint8Array(32)),
    );
    await expect(
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, codeSecret, sealed: forged, accountId: ACCOUNT }),
    ).rejects.toThrow('could not be decrypted');
    // The same construction with the code's secret opens: the refusal above is the secret's doing.
    const genuine = await forge(LINK_ID, code.ephemeralPublicKey, IdentityKeyPair.generate().serialize(), codeSecret);
    const opened = await openIdentity({
      linkId: LINK_ID,
      ephemeralPrivateKey,
      codeSecret,
      sealed: genuine,
      accountId: ACCOUNT,
    });
    expect(opened.confirmation).toMatch(/^\d{6}$/);
  });

  it('does not open with another code secret (v1 had none: a sealer needed only the public key)', async () => {
    const { ephemeralPrivateKey, code } = await newDevice();
    const sealed = await sealIdentity({
      code,
      identityKeyPair: IdentityKeyPair.generate().serialize(),
      accountId: ACCOUNT,
    });
    const open = (codeSecret: Uint8Array) =>
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, codeSecret, sealed, accountId: ACCOUNT });
    await expect(open(new Uint8Array(32))).rejects.toThrow('could not be decrypted');
    const flipped = code.codeSecret.slice();
    flipped[31] ^= 1;
    await expect(open(flipped)).rejects.toThrow('could not be decrypted');
    await expect(open(code.codeSecret.subarray(1))).rejects.toThrow('codeSecret: expected 32 bytes');
  });

  it('does not open with another ephemeral key (one the server could have swapped in)', async () => {
    const { codeSecret, code } = await newDevice();
    const sealed = await sealIdentity({
      code,
      identityKeyPair: IdentityKeyPair.generate().serialize(),
      accountId: ACCOUNT,
    });
    const intruder = await PrivateKey.generateAsync();
    await expect(
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey: intruder, codeSecret, sealed, accountId: ACCOUNT }),
    ).rejects.toThrow(DeviceLinkError);
  });

  it('binds the link id and both public keys: changing any of them fails', async () => {
    const { ephemeralPrivateKey, codeSecret, code } = await newDevice();
    const sealed = await sealIdentity({
      code,
      identityKeyPair: IdentityKeyPair.generate().serialize(),
      accountId: ACCOUNT,
    });
    const open = (overrides: object) =>
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, codeSecret, sealed, accountId: ACCOUNT, ...overrides });
    await expect(open({ linkId: '7c9e6679-7425-40de-944b-e07fc1f90ae8' })).rejects.toThrow('could not be decrypted');
    const otherSealer = (await PrivateKey.generateAsync()).getPublicKey().getPublicKeyBytes();
    await expect(open({ sealed: { ...sealed, ephemeralPublicKey: otherSealer } })).rejects.toThrow(DeviceLinkError);
    const flipped = sealed.ciphertext.slice();
    flipped[5] ^= 1;
    await expect(open({ sealed: { ...sealed, ciphertext: flipped } })).rejects.toThrow('could not be decrypted');
    await expect(open({ sealed: { ...sealed, iv: sealed.iv.slice(1) } })).rejects.toThrow('wrong key or nonce length');
  });

  it('refuses an identity sealed for another account', async () => {
    const { ephemeralPrivateKey, codeSecret, code } = await newDevice();
    const sealed = await sealIdentity({
      code,
      identityKeyPair: IdentityKeyPair.generate().serialize(),
      accountId: '0b000000-0000-4000-8000-000000000002',
    });
    await expect(
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, codeSecret, sealed, accountId: ACCOUNT }),
    ).rejects.toThrow('belongs to another account');
  });

  it('refuses a key pair whose halves do not match', async () => {
    const { ephemeralPrivateKey, codeSecret, code } = await newDevice();
    const a = IdentityKeyPair.generate();
    const b = IdentityKeyPair.generate();
    const mixed = new IdentityKeyPair(a.publicKey, b.privateKey).serialize();
    const sealed = await sealIdentity({ code, identityKeyPair: mixed, accountId: ACCOUNT });
    await expect(
      openIdentity({ linkId: LINK_ID, ephemeralPrivateKey, codeSecret, sealed, accountId: ACCOUNT }),
    ).rejects.toThrow('mismatched halves');
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

/**
 * Device linking, the cryptographic part: the one-time code a new device shows, and the sealing of
 * the account identity key pair from an existing device to it.
 *
 * Protocol (version 1):
 * 1. The new device makes an ephemeral X25519 key pair `(n, N)`, opens a link on the server
 *    (`POST /devices/links {N}` -> `linkId`, `linkToken`) and shows the code
 *    `<linkId>.<base64url linkToken>.<base64url N>`.
 * 2. The existing device reads the code (never `N` from the server, which could swap in its own),
 *    makes `(e, E)`, and computes `s = X25519(e, N)`,
 *    `k = HKDF-SHA256(ikm = s, salt = linkId (16 bytes), info = DEVICE_LINK_INFO, 32)` and the
 *    sealed identity `AES-256-GCM(k, iv, version || accountId || identityKeyPair,
 *    aad = DEVICE_LINK_INFO || linkId || N || E)`, and sends `{linkToken, E, ciphertext, iv}`.
 * 3. The new device computes the same `k` from `X25519(n, E)`, opens the ciphertext, checks the
 *    version, the account id and that the private key matches the public one.
 *
 * Both sides can show a six-digit confirmation number derived from `s` (info
 * DEVICE_LINK_CONFIRMATION_INFO). A server that completed the link itself with its own `E'` and an
 * identity of its choosing would produce a different number on the new device.
 *
 * X25519 comes from `@pairchat/crypto` (WebCrypto, else noble); HKDF and AES-GCM from WebCrypto.
 * @module
 */
import { IdentityKeyPair, PrivateKey, PublicKey } from '@pairchat/crypto';
import { DEVICE_LINK_IV_BYTES, DEVICE_LINK_PUBLIC_KEY_BYTES } from '@pairchat/messaging';
import { DeviceLinkError, type DeviceLinkCode, linkIdBytes, UUID_BYTES } from './device-link-code.js';

/** HKDF info and AAD prefix of the sealing key; a new protocol version gets a new string. */
export const DEVICE_LINK_INFO = 'Pairchat device link v1';
/** HKDF info of the confirmation number (separate from the key, so showing it reveals nothing of it). */
export const DEVICE_LINK_CONFIRMATION_INFO = 'Pairchat device link v1 confirmation';
/** First plaintext byte. */
export const DEVICE_LINK_VERSION = 1;
/** Digits of the confirmation number: 10^-6 chance that a swapped key goes unnoticed by a checking user. */
export const DEVICE_LINK_CONFIRMATION_DIGITS = 6;

const AES_KEY_BITS = 256;

/** The sealed identity as it travels (bytes; base64 on the wire). */
export interface SealedIdentity {
  ephemeralPublicKey: Uint8Array;
  ciphertext: Uint8Array;
  iv: Uint8Array;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const buffer = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

interface LinkSecrets {
  key: CryptoKey;
  confirmation: string;
}

/** HKDF-SHA256 of the shared secret into the AES key (non-extractable) and the confirmation number. */
async function deriveSecrets(shared: Uint8Array, linkId: string, subtle: SubtleCrypto): Promise<LinkSecrets> {
  const ikm = await subtle.importKey('raw', buffer(shared), 'HKDF', false, ['deriveBits', 'deriveKey']);
  const salt = buffer(linkIdBytes(linkId));
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info: utf8(DEVICE_LINK_INFO) },
    ikm,
    { name: 'AES-GCM', length: AES_KEY_BITS },
    false,
    ['encrypt', 'decrypt'],
  );
  const bits = new DataView(
    await subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt, info: utf8(DEVICE_LINK_CONFIRMATION_INFO) },
      ikm,
      32,
    ),
  );
  // uint32 mod 10^6: the bias (2^32 is not a multiple of 10^6) is below 10^-3 and only shifts odds of a display number.
  const confirmation = String(bits.getUint32(0) % 10 ** DEVICE_LINK_CONFIRMATION_DIGITS).padStart(
    DEVICE_LINK_CONFIRMATION_DIGITS,
    '0',
  );
  return { key, confirmation };
}

const aad = (linkId: string, newDeviceKey: Uint8Array, sealerKey: Uint8Array) =>
  buffer(concat(utf8(DEVICE_LINK_INFO), linkIdBytes(linkId), newDeviceKey, sealerKey));

/**
 * Seals the identity key pair for the new device of `code` (the existing device's step).
 * @param identityKeyPair - libsignal `IdentityKeyPairStructure` bytes (as stored); not kept
 * @param accountId - the account's user id, checked by the new device
 * @returns the sealed identity and the confirmation number to show
 * @throws ProtocolError `InvalidKeyAgreement` for a degenerate key in the code
 */
export async function sealIdentity(options: {
  code: DeviceLinkCode;
  identityKeyPair: Uint8Array;
  accountId: string;
  subtle?: SubtleCrypto;
}): Promise<SealedIdentity & { confirmation: string }> {
  const { code, identityKeyPair, accountId, subtle = globalThis.crypto.subtle } = options;
  const own = await PrivateKey.generateAsync();
  try {
    const ephemeralPublicKey = own.getPublicKey().getPublicKeyBytes();
    const shared = await own.agree(PublicKey.fromPublicKeyBytes(code.ephemeralPublicKey));
    const { key, confirmation } = await deriveSecrets(shared, code.linkId, subtle);
    shared.fill(0);
    const plaintext = concat(Uint8Array.of(DEVICE_LINK_VERSION), linkIdBytes(accountId, 'accountId'), identityKeyPair);
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(DEVICE_LINK_IV_BYTES));
    const ciphertext = new Uint8Array(
      await subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: aad(code.linkId, code.ephemeralPublicKey, ephemeralPublicKey) },
        key,
        buffer(plaintext),
      ),
    );
    plaintext.fill(0);
    return { ephemeralPublicKey, ciphertext, iv, confirmation };
  } finally {
    own.wipe();
  }
}

/**
 * Opens a sealed identity (the new device's step).
 * @param ephemeralPrivateKey - the private half of the key in this device's code
 * @returns the identity key pair bytes (the caller stores and then zeroes them) and the confirmation number
 * @throws DeviceLinkError when it does not decrypt (wrong key, tampered), has an unknown version,
 *   is for another account, or holds a key pair whose halves do not match
 */
export async function openIdentity(options: {
  linkId: string;
  ephemeralPrivateKey: PrivateKey;
  sealed: SealedIdentity;
  accountId: string;
  subtle?: SubtleCrypto;
}): Promise<{ identityKeyPair: Uint8Array; confirmation: string }> {
  const { linkId, ephemeralPrivateKey, sealed, accountId, subtle = globalThis.crypto.subtle } = options;
  if (sealed.ephemeralPublicKey.length !== DEVICE_LINK_PUBLIC_KEY_BYTES || sealed.iv.length !== DEVICE_LINK_IV_BYTES) {
    throw new DeviceLinkError('the sealed identity has a wrong key or nonce length');
  }
  const shared = await ephemeralPrivateKey.agree(PublicKey.fromPublicKeyBytes(sealed.ephemeralPublicKey));
  const { key, confirmation } = await deriveSecrets(shared, linkId, subtle);
  shared.fill(0);
  const ownPublic = ephemeralPrivateKey.getPublicKey().getPublicKeyBytes();
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(
      await subtle.decrypt(
        { name: 'AES-GCM', iv: buffer(sealed.iv), additionalData: aad(linkId, ownPublic, sealed.ephemeralPublicKey) },
        key,
        buffer(sealed.ciphertext),
      ),
    );
  } catch {
    throw new DeviceLinkError('the identity sent by the other device could not be decrypted');
  }
  try {
    if (plaintext[0] !== DEVICE_LINK_VERSION) throw new DeviceLinkError('unsupported device link version');
    const account = plaintext.subarray(1, 1 + UUID_BYTES);
    const expected = linkIdBytes(accountId, 'accountId');
    if (account.length !== UUID_BYTES || !account.every((b, i) => b === expected[i])) {
      throw new DeviceLinkError('the identity sent belongs to another account');
    }
    const identityKeyPair = plaintext.slice(1 + UUID_BYTES);
    let pair: IdentityKeyPair;
    try {
      pair = IdentityKeyPair.deserialize(identityKeyPair);
    } catch {
      identityKeyPair.fill(0);
      throw new DeviceLinkError('the identity sent is not a key pair');
    }
    if (!pair.privateKey.getPublicKey().equals(pair.publicKey)) {
      pair.privateKey.wipe();
      identityKeyPair.fill(0);
      throw new DeviceLinkError('the identity sent has mismatched halves');
    }
    pair.privateKey.wipe();
    return { identityKeyPair, confirmation };
  } finally {
    plaintext.fill(0);
  }
}

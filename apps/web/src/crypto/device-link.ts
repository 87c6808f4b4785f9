/**
 * Device linking, the cryptographic part: the sealing of the account identity key pair from an
 * existing device to the new device of a one-time code (`device-link-code.ts`).
 *
 * Protocol (version 2):
 * 1. The new device's worker makes an ephemeral X25519 key pair `(n, N)` and a 32-byte code secret
 *    `c`, keeps `n` and `c` in memory, opens a link on the server (`POST /devices/links`, no body ->
 *    `linkId`, `linkToken`) and shows the code `<linkId>.<linkToken>.<N>.<c>`. `N` and `c` are only
 *    ever in the code: the server never sees them.
 * 2. The existing device reads the code, makes `(e, E)`, and computes `s = X25519(e, N)`,
 *    `k = HKDF-SHA256(ikm = s || c, salt = linkId (16 bytes), info = DEVICE_LINK_INFO, 32)` and the
 *    sealed identity `AES-256-GCM(k, iv, version || accountId || identityKeyPair,
 *    aad = DEVICE_LINK_INFO || linkId || N || E)`, and sends `{linkToken, E, ciphertext, iv}`.
 * 3. The new device computes the same `k` from `X25519(n, E) || c`, opens the ciphertext, checks
 *    the version, the account id and that the private key matches the public one.
 *
 * Why `c`: the server makes the link id and token and knows the account, so without a secret it
 * could seal an identity of its own choosing to any key it picked. `X25519(e', N)` would even be
 * easy for it had it learnt `N`; `c` makes the key depend on something only the code carries, so a
 * seal from anyone who has not seen the code fails to decrypt (GCM tag), before anything is stored.
 * `c` goes into the ikm rather than the salt because it is the secret input (RFC 5869 §3.1: the
 * salt may be public).
 *
 * Both sides also show a six-digit confirmation number derived from the same material (info
 * DEVICE_LINK_CONFIRMATION_INFO). It is a second, visual check: it differs only if someone who saw
 * the code (a photo of the QR code, a shared clipboard) sealed instead of the user's device.
 *
 * X25519 comes from `@pairchat/crypto` (WebCrypto, else noble); HKDF and AES-GCM from WebCrypto.
 * @module
 */
import { concat, IdentityKeyPair, PrivateKey, PublicKey } from '@pairchat/crypto';
import { DEVICE_LINK_IV_BYTES, DEVICE_LINK_PUBLIC_KEY_BYTES } from '@pairchat/messaging';
import { DEVICE_LINK_CODE_SECRET_BYTES, DeviceLinkError, type DeviceLinkCode } from './device-link-code.js';
import { UUID_BYTES, uuidBytes } from './uuid.js';

/** HKDF info and AAD prefix of the sealing key; a new protocol version gets a new string (v1 had no code secret). */
export const DEVICE_LINK_INFO = 'Pairchat device link v2';
/** HKDF info of the confirmation number (separate from the key, so showing it reveals nothing of it). */
export const DEVICE_LINK_CONFIRMATION_INFO = 'Pairchat device link v2 confirmation';
/** First plaintext byte. */
export const DEVICE_LINK_VERSION = 2;
/** Digits of the confirmation number: 10^-6 chance that a swapped key goes unnoticed by a checking user. */
export const DEVICE_LINK_CONFIRMATION_DIGITS = 6;

const AES_KEY_BITS = 256;

/** The sealed identity as it travels (bytes; base64 on the wire). */
export interface SealedIdentity {
  ephemeralPublicKey: Uint8Array;
  ciphertext: Uint8Array;
  iv: Uint8Array;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const buffer = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

interface LinkSecrets {
  key: CryptoKey;
  confirmation: string;
}

/**
 * HKDF-SHA256 of `shared || codeSecret` into the AES key (non-extractable) and the confirmation
 * number. Zeroes its copy of the key material; the caller zeroes `shared`.
 */
async function deriveSecrets(
  shared: Uint8Array,
  codeSecret: Uint8Array,
  linkId: string,
  subtle: SubtleCrypto,
): Promise<LinkSecrets> {
  if (codeSecret.length !== DEVICE_LINK_CODE_SECRET_BYTES) {
    throw new DeviceLinkError(`codeSecret: expected ${DEVICE_LINK_CODE_SECRET_BYTES} bytes`);
  }
  const material = concat(shared, codeSecret);
  const ikm = await subtle.importKey('raw', buffer(material), 'HKDF', false, ['deriveBits', 'deriveKey']);
  material.fill(0);
  const salt = buffer(uuidBytes(linkId, 'linkId'));
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
  buffer(concat(utf8(DEVICE_LINK_INFO), uuidBytes(linkId, 'linkId'), newDeviceKey, sealerKey));

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
    let secrets: LinkSecrets;
    try {
      secrets = await deriveSecrets(shared, code.codeSecret, code.linkId, subtle);
    } finally {
      shared.fill(0);
    }
    const { key, confirmation } = secrets;
    const plaintext = concat(Uint8Array.of(DEVICE_LINK_VERSION), uuidBytes(accountId, 'accountId'), identityKeyPair);
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
 * @param codeSecret - the secret in this device's code
 * @returns the identity key pair bytes (the caller stores and then zeroes them) and the confirmation number
 * @throws DeviceLinkError for a code secret that is not 32 bytes; when it does not decrypt (wrong
 *   key or secret: not sealed from this code, or tampered), has an unknown version,
 *   is for another account, or holds a key pair whose halves do not match
 */
export async function openIdentity(options: {
  linkId: string;
  ephemeralPrivateKey: PrivateKey;
  codeSecret: Uint8Array;
  sealed: SealedIdentity;
  accountId: string;
  subtle?: SubtleCrypto;
}): Promise<{ identityKeyPair: Uint8Array; confirmation: string }> {
  const { linkId, ephemeralPrivateKey, codeSecret, sealed, accountId, subtle = globalThis.crypto.subtle } = options;
  if (sealed.ephemeralPublicKey.length !== DEVICE_LINK_PUBLIC_KEY_BYTES || sealed.iv.length !== DEVICE_LINK_IV_BYTES) {
    throw new DeviceLinkError('the sealed identity has a wrong key or nonce length');
  }
  if (codeSecret.length !== DEVICE_LINK_CODE_SECRET_BYTES) {
    throw new DeviceLinkError(`codeSecret: expected ${DEVICE_LINK_CODE_SECRET_BYTES} bytes`);
  }
  const shared = await ephemeralPrivateKey.agree(PublicKey.fromPublicKeyBytes(sealed.ephemeralPublicKey));
  let secrets: LinkSecrets;
  try {
    secrets = await deriveSecrets(shared, codeSecret, linkId, subtle);
  } finally {
    shared.fill(0);
  }
  const { key, confirmation } = secrets;
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
    const expected = uuidBytes(accountId, 'accountId');
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

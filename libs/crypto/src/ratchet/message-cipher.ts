/**
 * Payload encryption and authentication of a SignalMessage (wire notes §4, §6): AES-256-CBC with
 * PKCS#7 under a derived (never transmitted) IV, and HMAC-SHA256 truncated to 8 bytes over
 * `IK_sender || IK_receiver || version || protobuf`.
 * @module
 */
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equalBytes, wipe } from '../bytes.js';
import { MAC_LENGTH } from '../constants.js';
import { ProtocolError } from '../errors.js';

/** AES-256-CBC + PKCS#7 encryption. */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return cbc(key, iv).encrypt(plaintext);
}

/**
 * AES-256-CBC + PKCS#7 decryption.
 * @throws ProtocolError `InvalidMessage` on bad length or padding (only reached after the MAC verified)
 */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  try {
    return cbc(key, iv).decrypt(ciphertext);
  } catch {
    throw new ProtocolError('InvalidMessage', 'decryption failed');
  }
}

/** The truncated MAC: `HMAC(macKey, senderIdentity || receiverIdentity || macInput)[0..8]`. */
export function computeMac(
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
  macInput: Uint8Array,
): Uint8Array {
  const full = hmac(sha256, macKey, concat(senderIdentity, receiverIdentity, macInput));
  const out = full.slice(0, MAC_LENGTH);
  wipe(full);
  return out;
}

/** Constant-time check of a received MAC. */
export function verifyMac(
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
  macInput: Uint8Array,
  mac: Uint8Array,
): boolean {
  return equalBytes(computeMac(macKey, senderIdentity, receiverIdentity, macInput), mac);
}

/**
 * Double Ratchet key derivations (wire notes §3, libsignal `rust/protocol/src/ratchet/keys.rs`):
 * root-key step, chain-key step, message-key seeds and message keys.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, utf8, wipe } from '../bytes.js';
import {
  CHAIN_KEY_SEED,
  MESSAGE_KEYS_INFO,
  MESSAGE_KEYS_LENGTH,
  MESSAGE_KEY_SEED,
  ROOT_KDF_INFO,
} from '../constants.js';

const ROOT_INFO = utf8(ROOT_KDF_INFO);
const MSG_INFO = utf8(MESSAGE_KEYS_INFO);
const SEED_MSG = Uint8Array.of(MESSAGE_KEY_SEED);
const SEED_CHAIN = Uint8Array.of(CHAIN_KEY_SEED);

/**
 * Root-key step: `HKDF(ikm = dh, salt = rootKey, info = "WhisperRatchet", 64)`.
 * @param rootKey - current 32-byte root key
 * @param dh - X25519 output of our ratchet private key and their ratchet public key
 * @returns the next root key and a fresh chain key (index 0)
 */
export function kdfRootKey(rootKey: Uint8Array, dh: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  abytes('rootKey', rootKey, 32);
  abytes('dh', dh, 32);
  const o = hkdf(sha256, dh, rootKey, ROOT_INFO, 64);
  const out = { rootKey: o.slice(0, 32), chainKey: o.slice(32, 64) };
  wipe(o);
  return out;
}

/** Next chain key: `HMAC(CK, 0x02)`. */
export function nextChainKey(chainKey: Uint8Array): Uint8Array {
  return hmac(sha256, chainKey, SEED_CHAIN);
}

/** Message-key seed of the current chain position: `HMAC(CK, 0x01)`. Skipped keys are stored as seeds. */
export function messageKeySeed(chainKey: Uint8Array): Uint8Array {
  return hmac(sha256, chainKey, SEED_MSG);
}

/** AES key, MAC key and IV of one message. */
export interface MessageKeys {
  cipherKey: Uint8Array;
  macKey: Uint8Array;
  iv: Uint8Array;
}

/**
 * Message keys: `HKDF(ikm = seed, salt = spqrKey or none, info = "WhisperMessageKeys", 80)` split
 * 32/32/16. The SPQR key is mixed in here, at use time, which is why skipped keys are kept as seeds.
 * @param seed - 32-byte message-key seed
 * @param spqrKey - 32-byte SPQR key, or undefined for an unsalted derivation
 */
export function deriveMessageKeys(seed: Uint8Array, spqrKey: Uint8Array | undefined): MessageKeys {
  abytes('seed', seed, 32);
  const o = hkdf(sha256, seed, spqrKey, MSG_INFO, MESSAGE_KEYS_LENGTH);
  const out = { cipherKey: o.slice(0, 32), macKey: o.slice(32, 64), iv: o.slice(64, 80) };
  wipe(o);
  return out;
}

/** Zeroes the three message keys. */
export function wipeMessageKeys(k: MessageKeys): void {
  wipe(k.cipherKey, k.macKey, k.iv);
}

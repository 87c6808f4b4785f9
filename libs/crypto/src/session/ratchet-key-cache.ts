/**
 * Our recent ratchet private keys as live {@link PrivateKey} objects, so the DH ratchet step that
 * next uses one (when the peer's new ratchet key arrives) reuses its WebCrypto `CryptoKey` instead
 * of importing the key from the session record again (a JWK import costs about as much as the
 * agreement itself).
 *
 * Purely a cache: the session record stays the only source of truth. An entry is used only if its
 * private bytes equal the record's (constant-time compare), a miss imports from the record, and
 * a failed operation that rolls the record back simply misses next time. Entries hold secrets that
 * the session store holds too; they are wiped when taken, evicted or replaced. An entry of a session
 * deleted meanwhile stays until evicted; without the record's root key it derives nothing.
 * @module
 */
import { equalBytes, toBase64 } from '../bytes.js';
import { PrivateKey, PublicKey } from '../curve.js';
import { KeyCache } from '../key-cache.js';

/**
 * How many ratchet keys are kept: one per session that is waiting for its peer's reply, so this
 * bounds the sessions that get the fast path at once (memory: a key object and a `CryptoKey` each).
 */
export const RATCHET_KEY_CACHE_SIZE = 64;

const entries = new KeyCache<PrivateKey>(RATCHET_KEY_CACHE_SIZE, (key) => key.wipe());

/**
 * Keeps `key` (our ratchet private key, public key `publicKey`) for its next use. The cache owns
 * the object from now on: callers must not wipe it.
 */
export function keepRatchetKey(publicKey: Uint8Array, key: PrivateKey): void {
  entries.set(toBase64(publicKey), key);
}

/**
 * Our ratchet private key from a session record, as a key object the caller owns (and wipes): the
 * cached one if it is the same key, otherwise a fresh one from the bytes.
 * @param privateKey - the record's 32-byte ratchet private key
 * @param publicKey - the record's serialised ratchet public key (`0x05 || u`)
 */
export function takeRatchetKey(privateKey: Uint8Array, publicKey: Uint8Array): PrivateKey {
  const id = toBase64(publicKey);
  const cached = entries.get(id);
  if (cached) {
    entries.delete(id);
    const bytes = cached.serialize();
    const same = equalBytes(bytes, privateKey);
    bytes.fill(0);
    if (same) return cached;
    cached.wipe();
  }
  return PrivateKey.deserialize(privateKey).withPublicKeyHint(PublicKey.deserialize(publicKey));
}

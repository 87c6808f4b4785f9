/**
 * Kyber1024, NIST round 3, as libsignal uses it for type-0x08 KEM keys (wire notes §1.3,
 * libsignal `rust/protocol/src/kem.rs`, `kem/kyber1024.rs` = libcrux `kyber1024`).
 *
 * Built on `@noble/post-quantum`'s FIPS-203 `ml_kem1024`. Key formats are identical; round 3
 * differs only in hashing around the FIPS core:
 * - encaps: `m' = SHA3-256(m)`; `(K̄, c) = ML-KEM.Encaps(ek, m')`; `K = SHAKE256(K̄ || SHA3-256(c), 32)`;
 * - decaps: `K = SHAKE256(ML-KEM.Decaps(dk, c) || SHA3-256(c), 32)`.
 * (In FIPS 203, `(K̄, r) = SHA3-512(m' || H(ek))` is exactly round 3's `(K̄, r)` derivation, so
 * feeding the pre-hashed `m'` as the FIPS message makes `c` and `K̄` equal to round 3's.)
 *
 * DEVIATION (implicit rejection): for an INVALID ciphertext, FIPS decaps returns
 * `SHAKE256(z || c)` and we then hash that again, whereas round 3 returns `SHAKE256(z || SHA3-256(c))`.
 * Both are pseudo-random values the sender cannot predict, so the session fails on both sides
 * anyway (the MAC check fails); only the exact reject value differs from libcrux.
 * @module
 */
import { ml_kem1024, type KEMPrepared } from '@noble/post-quantum/ml-kem.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { abytes, concat, copyBytes, defaultRng, equalBytes, toBase64, wipe, type Rng } from './bytes.js';
import { KeyCache } from './key-cache.js';
import {
  KEM_SHARED_SECRET_LENGTH,
  KYBER1024_ENCAPS_RANDOM_LENGTH as ENCAPS_RANDOM_LENGTH,
  KYBER1024_KEYGEN_SEED_LENGTH as KEYGEN_SEED_LENGTH,
  KYBER1024_CIPHERTEXT_LENGTH,
  KYBER1024_KEY_TYPE,
  KYBER1024_PUBLIC_KEY_LENGTH,
  KYBER1024_SECRET_KEY_LENGTH,
} from './constants.js';
import { ProtocolError } from './errors.js';

/**
 * Kyber public keys expanded by noble's `prepare` (the matrix Â, t̂ and H(ek): public data only),
 * by value, with our own SHA3-256 of the key. A key recurs: our last-resort Kyber prekey in every
 * session a peer starts with us, a contact's in every session we start with it. Encapsulating or
 * decapsulating with a prepared key skips the 16 SampleNTT expansions (≈ 0.5 ms each way) and gives
 * exactly the one-shot result; preparing costs about one one-shot operation. `kem: null` marks a
 * key noble refuses to prepare (the one-shot call then decides). About 12 KiB per entry.
 */
const PREPARED = new KeyCache<{ ek: Uint8Array; kem: KEMPrepared; hash: Uint8Array } | { ek: Uint8Array; kem: null }>(
  8,
);

function preparedKem(ek: Uint8Array): { kem: KEMPrepared; hash: Uint8Array } | null {
  // looked up by rho (the last 32 bytes, the matrix seed) and confirmed on the whole key
  const id = toBase64(ek.subarray(ek.length - 32));
  let entry = PREPARED.get(id);
  if (!entry || !equalBytes(entry.ek, ek)) {
    const own = copyBytes(ek);
    try {
      entry = { ek: own, kem: ml_kem1024.prepare(own), hash: sha3_256(own) };
    } catch {
      entry = { ek: own, kem: null };
    }
    PREPARED.set(id, entry);
  }
  return entry.kem ? (entry as { kem: KEMPrepared; hash: Uint8Array }) : null;
}

/** dk = dkPKE (384k) || ek (384k + 32) || H(ek) (32) || z (32), k = 4. */
const DK_EK_START = KYBER1024_SECRET_KEY_LENGTH - 64 - KYBER1024_PUBLIC_KEY_LENGTH;
const DK_HASH_START = KYBER1024_SECRET_KEY_LENGTH - 64;

function parseTyped(
  name: string,
  bytes: Uint8Array,
  rawLength: number,
  lenCode: 'BadKEMKeyLength' | 'BadKEMCiphertextLength',
): Uint8Array {
  abytes(name, bytes);
  if (bytes.length === 0) throw new ProtocolError('NoKeyTypeIdentifier', 'no key type identifier');
  if (bytes[0] !== KYBER1024_KEY_TYPE) throw new ProtocolError('BadKEMKeyType', 'bad KEM key type');
  if (bytes.length !== rawLength + 1) throw new ProtocolError(lenCode, `bad ${name} length`);
  return bytes.slice(1);
}

/** A Kyber1024 public key, serialised as `0x08 || pk` (1569 B). Mirrors libsignal `KEMPublicKey`. */
export class KEMPublicKey {
  private constructor(private readonly raw: Uint8Array) {}

  /**
   * @throws ProtocolError `BadKEMKeyType` (type byte ≠ 0x08) or `BadKEMKeyLength`
   */
  static deserialize(bytes: Uint8Array): KEMPublicKey {
    return new KEMPublicKey(parseTyped('KEM public key', bytes, KYBER1024_PUBLIC_KEY_LENGTH, 'BadKEMKeyLength'));
  }

  /** `0x08 || pk`. */
  serialize(): Uint8Array {
    return concat(Uint8Array.of(KYBER1024_KEY_TYPE), this.raw);
  }

  /**
   * Round-3 encapsulation to this key.
   * @param rng - randomness source (32 bytes drawn)
   * @returns `ciphertext` serialised as `0x08 || c` (1569 B) and the 32-byte shared secret
   * @throws ProtocolError `BadKEMKeyLength` if noble rejects the key encoding
   */
  encapsulate(rng: Rng = defaultRng): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
    const m = rng(ENCAPS_RANDOM_LENGTH);
    abytes('rng output', m, ENCAPS_RANDOM_LENGTH);
    const mPrime = sha3_256(m);
    let res: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      const prepared = preparedKem(this.raw);
      // the one-shot call refuses a key that `prepare` refused, with the same error below
      res = prepared ? prepared.kem.encapsulate(mPrime) : ml_kem1024.encapsulate(this.raw, mPrime);
    } catch {
      throw new ProtocolError('BadKEMKeyLength', 'invalid KEM public key');
    } finally {
      wipe(m);
    }
    const sharedSecret = shake256(concat(res.sharedSecret, sha3_256(res.cipherText)), {
      dkLen: KEM_SHARED_SECRET_LENGTH,
    });
    wipe(mPrime, res.sharedSecret);
    return { ciphertext: concat(Uint8Array.of(KYBER1024_KEY_TYPE), res.cipherText), sharedSecret };
  }
}

/** A Kyber1024 secret key, serialised as `0x08 || dk` (3169 B). Mirrors libsignal `KEMSecretKey`. */
export class KEMSecretKey {
  private constructor(private readonly raw: Uint8Array) {}

  /** @throws ProtocolError `BadKEMKeyType` or `BadKEMKeyLength` */
  static deserialize(bytes: Uint8Array): KEMSecretKey {
    return new KEMSecretKey(parseTyped('KEM secret key', bytes, KYBER1024_SECRET_KEY_LENGTH, 'BadKEMKeyLength'));
  }

  /** `0x08 || dk`. */
  serialize(): Uint8Array {
    return concat(Uint8Array.of(KYBER1024_KEY_TYPE), this.raw);
  }

  /**
   * Round-3 decapsulation (see the module note on implicit rejection).
   * @param ciphertext - `0x08 || c` (1569 B)
   * @returns the 32-byte shared secret
   * @throws ProtocolError `BadKEMKeyType` / `BadKEMCiphertextLength` on a malformed ciphertext
   */
  decapsulate(ciphertext: Uint8Array): Uint8Array {
    const c = parseTyped('KEM ciphertext', ciphertext, KYBER1024_CIPHERTEXT_LENGTH, 'BadKEMCiphertextLength');
    // noble may wipe the secret key it is given: pass a copy.
    const dk = copyBytes(this.raw);
    // the prepared key only for the ek embedded in dk, and only if dk's H(ek) is right (the check the
    // one-shot call makes); otherwise the one-shot call decides, errors included
    const prepared = preparedKem(dk.subarray(DK_EK_START, DK_HASH_START));
    const kBar =
      prepared && equalBytes(prepared.hash, dk.subarray(DK_HASH_START, DK_HASH_START + 32))
        ? prepared.kem.decapsulate(c, dk)
        : ml_kem1024.decapsulate(c, dk);
    wipe(dk);
    const out = shake256(concat(kBar, sha3_256(c)), { dkLen: KEM_SHARED_SECRET_LENGTH });
    wipe(kBar);
    return out;
  }

  /** Zeroes the key bytes (best effort, see `wipe`). */
  wipe(): void {
    wipe(this.raw);
  }
}

/** A Kyber1024 key pair. Mirrors libsignal `KEMKeyPair`. */
export class KEMKeyPair {
  constructor(
    readonly publicKey: KEMPublicKey,
    readonly secretKey: KEMSecretKey,
  ) {}

  /** Generates a key pair from 64 bytes of `rng` (noble ML-KEM keygen; same format as round 3). */
  static generate(rng: Rng = defaultRng): KEMKeyPair {
    const seed = rng(KEYGEN_SEED_LENGTH);
    abytes('rng output', seed, KEYGEN_SEED_LENGTH);
    const { publicKey, secretKey } = ml_kem1024.keygen(seed);
    wipe(seed);
    const pair = new KEMKeyPair(
      KEMPublicKey.deserialize(concat(Uint8Array.of(KYBER1024_KEY_TYPE), publicKey)),
      KEMSecretKey.deserialize(concat(Uint8Array.of(KYBER1024_KEY_TYPE), secretKey)),
    );
    wipe(secretKey);
    return pair;
  }
}

/**
 * Curve25519 keys as libsignal serialises them (wire notes §1.1): public = `0x05 || u` (33 bytes,
 * strict length), private = 32 clamped bytes. X25519 agreement rejects an all-zero result.
 * Signing/verification is libsignal's XEdDSA ({@link xeddsaSign}).
 *
 * Agreement goes through one async {@link agree}: WebCrypto X25519 (`globalThis.crypto.subtle`,
 * native in Node 20 and Chromium, ~12× faster) when present, `@noble/curves` x25519 otherwise.
 * The key objects cache their imported `CryptoKey`, so a key used in several agreements (PQXDH base
 * key, a ratchet public key) is imported once, and {@link PrivateKey.generateAsync} generates keys
 * with WebCrypto too. Measured in `bench/crypto.bench.mjs`.
 * @module
 */
import { x25519 } from '@noble/curves/ed25519.js';
import {
  abytes,
  concat,
  copyBytes,
  defaultRng,
  equalBytes,
  fromBase64Url,
  toBase64Url,
  wipe,
  type Rng,
} from './bytes.js';
import { CURVE25519_KEY_LENGTH, CURVE25519_KEY_TYPE, PUBLIC_KEY_LENGTH, XEDDSA_RANDOM_LENGTH } from './constants.js';
import { ProtocolError } from './errors.js';
import { clampScalar, isCanonicalMontgomery, xeddsaSign, xeddsaVerify, xeddsaVerifyAsync } from './xeddsa.js';
import { KeyCache } from './key-cache.js';
import { decodeIdentityKeyPair, encodeIdentityKeyPair } from './proto/storage.js';

/** PKCS#8 DER prefix of an X25519 private key (RFC 8410); the 32 raw bytes follow. */
const X25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

/**
 * X25519 with `@noble/curves` (pure JS).
 * @throws ProtocolError `InvalidKeyAgreement` if the shared secret is all zero (low-order peer key)
 */
export function agreeNoble(privateKey: Uint8Array, publicU: Uint8Array): Uint8Array {
  abytes('privateKey', privateKey, CURVE25519_KEY_LENGTH);
  abytes('publicKey', publicU, CURVE25519_KEY_LENGTH);
  let out: Uint8Array;
  try {
    out = x25519.getSharedSecret(privateKey, publicU);
  } catch {
    throw new ProtocolError('InvalidKeyAgreement', 'invalid key agreement');
  }
  if (isAllZero(out)) throw new ProtocolError('InvalidKeyAgreement', 'invalid key agreement');
  return out;
}

let webCryptoX25519: { subtle: SubtleCrypto | undefined; ok: Promise<boolean> } | undefined;

/**
 * Resolves true if `crypto.subtle` supports X25519 deriveBits here, with noble's result (probed
 * once per `crypto.subtle` object, so a runtime that swaps it is probed again).
 */
export function hasWebCryptoX25519(): Promise<boolean> {
  const current = globalThis.crypto?.subtle;
  if (webCryptoX25519?.subtle === current) return webCryptoX25519.ok;
  const ok = (async () => {
    try {
      const subtle = globalThis.crypto?.subtle;
      if (!subtle) return false;
      const a = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
      const b = x25519.getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => 99 - i));
      const got = await agreeWebCrypto(a, b);
      return equalBytes(got, x25519.getSharedSecret(a, b));
    } catch {
      return false;
    }
  })();
  webCryptoX25519 = { subtle: current, ok };
  return ok;
}

/**
 * X25519 with WebCrypto (`crypto.subtle.deriveBits`); RFC 7748 clamping and u masking are the same
 * as noble's, so results are equal.
 * @throws ProtocolError `InvalidKeyAgreement` if the platform refuses the key or the result is zero
 */
export async function agreeWebCrypto(privateKey: Uint8Array, publicU: Uint8Array): Promise<Uint8Array> {
  abytes('privateKey', privateKey, CURVE25519_KEY_LENGTH);
  abytes('publicKey', publicU, CURVE25519_KEY_LENGTH);
  const subtle = globalThis.crypto.subtle;
  const pkcs8 = concat(X25519_PKCS8_PREFIX, privateKey);
  let out: Uint8Array;
  try {
    const priv = await subtle.importKey('pkcs8', pkcs8 as Uint8Array<ArrayBuffer>, { name: 'X25519' }, false, [
      'deriveBits',
    ]);
    const pub = await subtle.importKey(
      'raw',
      copyBytes(publicU) as Uint8Array<ArrayBuffer>,
      { name: 'X25519' },
      true,
      [],
    );
    out = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub } as AlgorithmIdentifier, priv, 256));
  } catch {
    throw new ProtocolError('InvalidKeyAgreement', 'invalid key agreement');
  } finally {
    wipe(pkcs8);
  }
  if (isAllZero(out)) throw new ProtocolError('InvalidKeyAgreement', 'invalid key agreement');
  return out;
}

/**
 * X25519 agreement: WebCrypto when available, noble otherwise. The single DH entry point of the engine.
 * @param privateKey - 32-byte private key
 * @param publicU - 32-byte peer u-coordinate (no type byte)
 * @returns 32-byte shared secret
 * @throws ProtocolError `InvalidKeyAgreement` on an all-zero result
 */
export async function agree(privateKey: Uint8Array, publicU: Uint8Array): Promise<Uint8Array> {
  if (await hasWebCryptoX25519()) return agreeWebCrypto(privateKey, publicU);
  return agreeNoble(privateKey, publicU);
}

const X25519_ALGORITHM = { name: 'X25519' } as const;

/**
 * Imported X25519 public keys by value: peers' identity and signed prekeys recur across session
 * setups. Public data only.
 */
const PUBLIC_KEYS = new KeyCache<Promise<CryptoKey>>(256);

function importPublicX25519(u: Uint8Array): Promise<CryptoKey> {
  const id = toBase64Url(u);
  let key = PUBLIC_KEYS.get(id);
  if (!key) {
    key = globalThis.crypto.subtle.importKey(
      'raw',
      copyBytes(u) as Uint8Array<ArrayBuffer>,
      X25519_ALGORITHM,
      true,
      [],
    );
    PUBLIC_KEYS.set(id, key);
    key.catch(() => PUBLIC_KEYS.delete(id));
  }
  return key;
}

const invalidAgreement = () => new ProtocolError('InvalidKeyAgreement', 'invalid key agreement');

/**
 * Imports our private key for `deriveBits`. With the public key known, as JWK `{d, x}`: Node's
 * PKCS#8 import goes through OpenSSL 3's generic decoder and costs about 1 ms, the JWK import a
 * tenth of that (the platform checks that `x` matches `d`; on a mismatch we retry with PKCS#8).
 * The base64url `d` is an immutable string that cannot be wiped: the same JS limit as the BigInt
 * scalars inside noble, see `wipe`.
 */
async function importPrivateX25519(k: Uint8Array, publicU: Uint8Array | undefined): Promise<CryptoKey> {
  const subtle = globalThis.crypto.subtle;
  if (publicU) {
    try {
      const jwk = { kty: 'OKP', crv: 'X25519', d: toBase64Url(k), x: toBase64Url(publicU) };
      return await subtle.importKey('jwk', jwk, X25519_ALGORITHM, false, ['deriveBits']);
    } catch {
      // a wrong hint: fall through to PKCS#8, which needs none
    }
  }
  const pkcs8 = concat(X25519_PKCS8_PREFIX, k);
  try {
    return await subtle.importKey('pkcs8', pkcs8 as Uint8Array<ArrayBuffer>, X25519_ALGORITHM, false, ['deriveBits']);
  } finally {
    wipe(pkcs8);
  }
}

/** `deriveBits` over imported keys, with the same zero check and error as {@link agreeNoble}. */
async function deriveX25519(priv: Promise<CryptoKey>, pub: Promise<CryptoKey>): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    const alg = { name: 'X25519', public: await pub } as AlgorithmIdentifier;
    out = new Uint8Array(await globalThis.crypto.subtle.deriveBits(alg, await priv, 256));
  } catch {
    throw invalidAgreement();
  }
  if (isAllZero(out)) throw invalidAgreement();
  return out;
}

/**
 * A fresh X25519 key pair from WebCrypto: the key stays usable as a `CryptoKey` and its 32 private
 * bytes come from a JWK export. BoringSSL (Chromium) deliberately returns unclamped private bytes,
 * so we clamp them: X25519 clamps anyway, and libsignal serialises clamped keys.
 */
async function generateX25519(): Promise<{ k: Uint8Array; u: Uint8Array; key: CryptoKey }> {
  const subtle = globalThis.crypto.subtle;
  const pair = (await subtle.generateKey(X25519_ALGORITHM, true, ['deriveBits'])) as CryptoKeyPair;
  const jwk = await subtle.exportKey('jwk', pair.privateKey);
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string')
    throw new Error('WebCrypto X25519: JWK export without d or x');
  const raw = fromBase64Url(jwk.d);
  const u = fromBase64Url(jwk.x);
  abytes('generated private key', raw, CURVE25519_KEY_LENGTH);
  abytes('generated public key', u, CURVE25519_KEY_LENGTH);
  const k = clampScalar(raw);
  wipe(raw);
  return { k, u, key: pair.privateKey };
}

/** A Curve25519 public key (`0x05 || u`). Immutable value type; mirrors libsignal-client's `PublicKey`. */
export class PublicKey {
  private readonly u: Uint8Array;
  private webKey?: Promise<CryptoKey>;

  private constructor(u: Uint8Array) {
    this.u = u;
  }

  /**
   * Parses `0x05 || u` (exactly 33 bytes; libsignal tolerates trailing bytes, we do not).
   * @throws TypeError on a non-Uint8Array; ProtocolError `NoKeyTypeIdentifier` on empty input,
   *   `BadKeyType` on a type byte other than 0x05, `BadKeyLength` on a wrong length
   */
  static deserialize(bytes: Uint8Array): PublicKey {
    abytes('publicKey', bytes);
    if (bytes.length === 0) throw new ProtocolError('NoKeyTypeIdentifier', 'no key type identifier');
    if (bytes[0] !== CURVE25519_KEY_TYPE) throw new ProtocolError('BadKeyType', 'bad key type');
    if (bytes.length !== PUBLIC_KEY_LENGTH) throw new ProtocolError('BadKeyLength', 'bad key length');
    return new PublicKey(bytes.slice(1));
  }

  /** Wraps a raw 32-byte u-coordinate. @throws RangeError on a wrong length */
  static fromPublicKeyBytes(u: Uint8Array): PublicKey {
    abytes('publicKey', u, CURVE25519_KEY_LENGTH);
    return new PublicKey(copyBytes(u));
  }

  /** `0x05 || u` (33 bytes). */
  serialize(): Uint8Array {
    return concat(Uint8Array.of(CURVE25519_KEY_TYPE), this.u);
  }

  /** The raw 32-byte u-coordinate. */
  getPublicKeyBytes(): Uint8Array {
    return copyBytes(this.u);
  }

  /** True if both keys have the same bytes. */
  equals(other: PublicKey): boolean {
    return equalBytes(this.u, other.u);
  }

  /**
   * Verifies an XEdDSA signature made by the matching private key.
   * @returns false on any invalid signature
   */
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return xeddsaVerify(this.u, message, signature);
  }

  /**
   * {@link verify} through WebCrypto Ed25519 where the platform verifies exactly as libsignal does
   * (see {@link xeddsaVerifyAsync}); same result, about 20× faster.
   */
  verifyAsync(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return xeddsaVerifyAsync(this.u, message, signature);
  }

  /** The WebCrypto X25519 public key, imported once (internal to {@link PrivateKey.agree}). */
  cryptoKey(): Promise<CryptoKey> {
    this.webKey ??= importPublicX25519(this.u);
    return this.webKey;
  }

  /** libsignal's canonical-encoding check applied to PQXDH base keys (see {@link isCanonicalMontgomery}). */
  isCanonical(): boolean {
    return isCanonicalMontgomery(this.u);
  }
}

/** A Curve25519 private key (32 clamped bytes). Mirrors libsignal-client's `PrivateKey`. */
export class PrivateKey {
  private readonly k: Uint8Array;
  private pub?: PublicKey;
  /** our stored public key, used only to import the key faster (never returned, see {@link withPublicKeyHint}) */
  private hint?: Uint8Array;
  /** the imported `CryptoKey`, shared with clones (see {@link clone}) */
  private shared: { webKey?: Promise<CryptoKey> } = {};

  private constructor(k: Uint8Array) {
    this.k = k;
  }

  /**
   * Generates a fresh key from `rng` (default `crypto.getRandomValues`), clamped.
   * @param rng - randomness source, injected for deterministic tests
   */
  static generate(rng: Rng = defaultRng): PrivateKey {
    const raw = rng(CURVE25519_KEY_LENGTH);
    abytes('rng output', raw, CURVE25519_KEY_LENGTH);
    const k = clampScalar(raw);
    wipe(raw);
    return new PrivateKey(k);
  }

  /**
   * Like {@link generate}, with the public key computed up front. With the default RNG and WebCrypto
   * X25519 available, the platform generates the key (its CSPRNG, native arithmetic) and the
   * `CryptoKey` is kept for this key's agreements; an injected `rng` is always honoured (pure JS).
   */
  static async generateAsync(rng: Rng = defaultRng): Promise<PrivateKey> {
    if (rng === defaultRng && (await hasWebCryptoX25519())) {
      const { k, u, key } = await generateX25519();
      const priv = new PrivateKey(k);
      priv.pub = PublicKey.fromPublicKeyBytes(u);
      priv.shared.webKey = Promise.resolve(key);
      wipe(u);
      return priv;
    }
    const priv = PrivateKey.generate(rng);
    priv.getPublicKey();
    return priv;
  }

  /**
   * Parses 32 raw bytes and clamps them, as libsignal does, so `serialize()` returns clamped bytes.
   * @throws TypeError on a non-Uint8Array; ProtocolError `BadKeyLength` on a wrong length
   */
  static deserialize(bytes: Uint8Array): PrivateKey {
    abytes('privateKey', bytes);
    if (bytes.length !== CURVE25519_KEY_LENGTH) throw new ProtocolError('BadKeyLength', 'bad key length');
    return new PrivateKey(clampScalar(bytes));
  }

  /**
   * Records the public key stored next to this private key (a key pair, a prekey record, a ratchet
   * state), so WebCrypto can import the pair cheaply. Not trusted: {@link getPublicKey} still
   * derives the key itself, and a wrong hint only costs a slower import.
   * @returns this
   */
  withPublicKeyHint(publicKey: PublicKey): PrivateKey {
    this.hint = publicKey.getPublicKeyBytes();
    return this;
  }

  /** The 32 clamped bytes (a copy). */
  serialize(): Uint8Array {
    return copyBytes(this.k);
  }

  /**
   * An independent copy that shares the imported `CryptoKey` (immutable; imported by whichever copy
   * agrees first), so a long-lived key can be handed to code that wipes its copy when done.
   */
  clone(): PrivateKey {
    const c = new PrivateKey(copyBytes(this.k));
    c.pub = this.pub;
    c.hint = this.hint && copyBytes(this.hint);
    c.shared = this.shared;
    return c;
  }

  /** The matching public key (computed once). */
  getPublicKey(): PublicKey {
    this.pub ??= PublicKey.fromPublicKeyBytes(x25519.getPublicKey(this.k));
    return this.pub;
  }

  /**
   * XEdDSA signature over `message`.
   * @param random - 64 bytes Z; fresh from `crypto.getRandomValues` unless given (test vectors)
   */
  sign(message: Uint8Array, random?: Uint8Array): Uint8Array {
    const z = random ?? defaultRng(XEDDSA_RANDOM_LENGTH);
    return xeddsaSign(this.k, message, z);
  }

  /**
   * X25519 with `other`: WebCrypto when available (both keys imported once and cached on their
   * objects), noble otherwise.
   * @throws ProtocolError `InvalidKeyAgreement` on an all-zero result or a key the platform refuses
   */
  async agree(other: PublicKey): Promise<Uint8Array> {
    if (!(await hasWebCryptoX25519())) return agreeNoble(this.k, other.getPublicKeyBytes());
    const shared = this.shared;
    shared.webKey ??= importPrivateX25519(this.k, this.hint ?? this.pub?.getPublicKeyBytes());
    const priv = shared.webKey;
    const pub = other.cryptoKey();
    // a failed import must not stick: the next call retries
    priv.catch(() => shared.webKey === priv && (shared.webKey = undefined));
    return deriveX25519(priv, pub);
  }

  /** Zeroes the key bytes and drops the cached `CryptoKey`; the object is unusable afterwards (see {@link wipe} for JS limits). */
  wipe(): void {
    wipe(this.k, this.hint);
    this.shared = {};
  }
}

/** A public/private pair, with libsignal's storage encoding `{1: public (33 B), 2: private (32 B)}`. */
export class IdentityKeyPair {
  /**
   * @param publicKey - the public half
   * @param privateKey - the private half (not checked to match, as in libsignal-client)
   */
  constructor(
    readonly publicKey: PublicKey,
    readonly privateKey: PrivateKey,
  ) {}

  /** Generates a fresh pair. */
  static generate(rng: Rng = defaultRng): IdentityKeyPair {
    const priv = PrivateKey.generate(rng);
    return new IdentityKeyPair(priv.getPublicKey(), priv);
  }

  /** Generates a fresh pair with {@link PrivateKey.generateAsync} (WebCrypto where possible). */
  static async generateAsync(rng: Rng = defaultRng): Promise<IdentityKeyPair> {
    const priv = await PrivateKey.generateAsync(rng);
    return new IdentityKeyPair(priv.getPublicKey(), priv);
  }

  /** Encodes as libsignal's `IdentityKeyPairStructure` protobuf. */
  serialize(): Uint8Array {
    return encodeIdentityKeyPair({ publicKey: this.publicKey.serialize(), privateKey: this.privateKey.serialize() });
  }

  /**
   * Decodes libsignal's `IdentityKeyPairStructure`.
   * @throws ProtocolError `InvalidProtobufEncoding` or a key error
   */
  static deserialize(bytes: Uint8Array): IdentityKeyPair {
    abytes('identityKeyPair', bytes);
    const f = decodeIdentityKeyPair(bytes);
    const publicKey = PublicKey.deserialize(f.publicKey);
    return new IdentityKeyPair(publicKey, PrivateKey.deserialize(f.privateKey).withPublicKeyHint(publicKey));
  }
}

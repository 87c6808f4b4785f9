/**
 * Prekey records in libsignal's storage format (wire notes §1.4) and the signed messages over
 * prekeys (`0x05 || spk`, `0x08 || kyber_pk`, i.e. the serialised public keys).
 * @module
 */
import { abytes, aint } from './bytes.js';
import { KEMKeyPair, KEMPublicKey, KEMSecretKey } from './kyber.js';
import { MAX_PREKEY_ID } from './constants.js';
import { PrivateKey, PublicKey } from './curve.js';
import {
  decodePreKeyRecord,
  decodeSignedPreKeyRecord,
  encodePreKeyRecord,
  encodeSignedPreKeyRecord,
} from './proto/storage.js';

/** A one-time EC prekey record. */
export interface PreKeyRecord {
  id: number;
  publicKey: PublicKey;
  privateKey: PrivateKey;
}

/** A signed EC prekey record. */
export interface SignedPreKeyRecord extends PreKeyRecord {
  signature: Uint8Array;
  timestamp: number;
}

/** A signed Kyber prekey record. */
export interface KyberPreKeyRecord {
  id: number;
  keyPair: KEMKeyPair;
  signature: Uint8Array;
  timestamp: number;
}

/** Serialises a one-time prekey record. @throws RangeError on a bad id */
export function serializePreKeyRecord(
  id: number,
  keyPair: { publicKey: Uint8Array; privateKey: Uint8Array },
): Uint8Array {
  aint('id', id, 0, MAX_PREKEY_ID);
  PublicKey.deserialize(keyPair.publicKey);
  PrivateKey.deserialize(keyPair.privateKey);
  return encodePreKeyRecord({ id, publicKey: keyPair.publicKey, privateKey: keyPair.privateKey });
}

/** Parses a one-time prekey record. @throws ProtocolError on malformed input */
export function parsePreKeyRecord(bytes: Uint8Array): PreKeyRecord {
  abytes('record', bytes);
  const r = decodePreKeyRecord(bytes);
  const publicKey = PublicKey.deserialize(r.publicKey);
  return { id: r.id, publicKey, privateKey: PrivateKey.deserialize(r.privateKey).withPublicKeyHint(publicKey) };
}

/** Serialises a signed EC prekey record. */
export function serializeSignedPreKeyRecord(
  id: number,
  timestamp: number,
  keyPair: { publicKey: Uint8Array; privateKey: Uint8Array },
  signature: Uint8Array,
): Uint8Array {
  aint('id', id, 0, MAX_PREKEY_ID);
  aint('timestamp', timestamp, 0, Number.MAX_SAFE_INTEGER);
  abytes('signature', signature);
  PublicKey.deserialize(keyPair.publicKey);
  PrivateKey.deserialize(keyPair.privateKey);
  return encodeSignedPreKeyRecord({
    id,
    timestamp,
    publicKey: keyPair.publicKey,
    privateKey: keyPair.privateKey,
    signature,
  });
}

/** Parses a signed EC prekey record. */
export function parseSignedPreKeyRecord(bytes: Uint8Array): SignedPreKeyRecord {
  abytes('record', bytes);
  const r = decodeSignedPreKeyRecord(bytes);
  const publicKey = PublicKey.deserialize(r.publicKey);
  return {
    id: r.id,
    timestamp: r.timestamp,
    signature: r.signature,
    publicKey,
    privateKey: PrivateKey.deserialize(r.privateKey).withPublicKeyHint(publicKey),
  };
}

/** Serialises a signed Kyber prekey record (keys with their 0x08 type byte). */
export function serializeKyberPreKeyRecord(
  id: number,
  timestamp: number,
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  signature: Uint8Array,
): Uint8Array {
  aint('id', id, 0, MAX_PREKEY_ID);
  aint('timestamp', timestamp, 0, Number.MAX_SAFE_INTEGER);
  abytes('signature', signature);
  KEMPublicKey.deserialize(keyPair.publicKey);
  KEMSecretKey.deserialize(keyPair.secretKey);
  return encodeSignedPreKeyRecord({
    id,
    timestamp,
    publicKey: keyPair.publicKey,
    privateKey: keyPair.secretKey,
    signature,
  });
}

/** Parses a signed Kyber prekey record. */
export function parseKyberPreKeyRecord(bytes: Uint8Array): KyberPreKeyRecord {
  abytes('record', bytes);
  const r = decodeSignedPreKeyRecord(bytes);
  return {
    id: r.id,
    timestamp: r.timestamp,
    signature: r.signature,
    keyPair: new KEMKeyPair(KEMPublicKey.deserialize(r.publicKey), KEMSecretKey.deserialize(r.privateKey)),
  };
}

/**
 * Codecs of libsignal's storage protobufs for prekeys (`rust/protocol/src/proto/storage.proto`):
 * `PreKeyRecordStructure {1: id, 2: public, 3: private}` and
 * `SignedPreKeyRecordStructure {1: id, 2: public, 3: private, 4: signature, 5: timestamp (fixed64 ms)}`,
 * the latter also used for Kyber prekeys, and `IdentityKeyPairStructure {1: public, 2: private}`. Records made here load in libsignal and vice versa.
 * @module
 */
import { ProtoWriter, readFields, required } from './codec.js';

/** Decoded `PreKeyRecordStructure`. */
export interface PreKeyRecordFields {
  id: number;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** Decoded `SignedPreKeyRecordStructure` (EC or Kyber keys, serialised with their type byte for KEM). */
export interface SignedPreKeyRecordFields extends PreKeyRecordFields {
  signature: Uint8Array;
  /** ms since the epoch */
  timestamp: number;
}

/** Encodes a `PreKeyRecordStructure`. */
export function encodePreKeyRecord(r: PreKeyRecordFields): Uint8Array {
  return new ProtoWriter().uint(1, r.id).bytes(2, r.publicKey).bytes(3, r.privateKey).finish();
}

/** Decodes a `PreKeyRecordStructure`. @throws ProtocolError `InvalidProtobufEncoding` */
export function decodePreKeyRecord(bytes: Uint8Array): PreKeyRecordFields {
  const f = readFields(bytes);
  return {
    id: f.uint32(1) ?? 0,
    publicKey: required(f.bytes(2), 'public_key'),
    privateKey: required(f.bytes(3), 'private_key'),
  };
}

/** Encodes a `SignedPreKeyRecordStructure`. */
export function encodeSignedPreKeyRecord(r: SignedPreKeyRecordFields): Uint8Array {
  return new ProtoWriter()
    .uint(1, r.id)
    .bytes(2, r.publicKey)
    .bytes(3, r.privateKey)
    .bytes(4, r.signature)
    .fixed64(5, BigInt(r.timestamp))
    .finish();
}

/** Decodes a `SignedPreKeyRecordStructure`. @throws ProtocolError `InvalidProtobufEncoding` */
export function decodeSignedPreKeyRecord(bytes: Uint8Array): SignedPreKeyRecordFields {
  const f = readFields(bytes);
  return {
    id: f.uint32(1) ?? 0,
    publicKey: required(f.bytes(2), 'public_key'),
    privateKey: required(f.bytes(3), 'private_key'),
    signature: required(f.bytes(4), 'signature'),
    timestamp: Number(f.u64(5) ?? 0n),
  };
}

/** Decoded `IdentityKeyPairStructure`: serialised public key (33 B) and private key (32 B). */
export interface IdentityKeyPairFields {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** Encodes an `IdentityKeyPairStructure`. */
export function encodeIdentityKeyPair(k: IdentityKeyPairFields): Uint8Array {
  return new ProtoWriter().bytes(1, k.publicKey).bytes(2, k.privateKey).finish();
}

/** Decodes an `IdentityKeyPairStructure`. @throws ProtocolError `InvalidProtobufEncoding` */
export function decodeIdentityKeyPair(bytes: Uint8Array): IdentityKeyPairFields {
  const f = readFields(bytes);
  return { publicKey: required(f.bytes(1), 'public_key'), privateKey: required(f.bytes(2), 'private_key') };
}

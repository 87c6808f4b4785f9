/**
 * Wire codecs of SignalMessage and PreKeySignalMessage (wire notes §5, libsignal
 * `rust/protocol/src/protocol.rs`, `proto/wire.proto`). Version and length are checked before any
 * protobuf parsing. Fields are emitted in tag order, as libsignal does.
 * @module
 */
import { concat } from '../bytes.js';
import {
  CIPHERTEXT_MESSAGE_CURRENT_VERSION,
  CIPHERTEXT_VERSION_BYTE,
  MAC_LENGTH,
  MIN_RECOGNISED_MESSAGE_VERSION as MIN_RECOGNISED_VERSION,
} from '../constants.js';
import { ProtocolError } from '../errors.js';
import { ProtoWriter, readFields, required } from './codec.js';

/** Fields of a SignalMessage (everything but the version byte and MAC). */
export interface SignalMessageFields {
  /** serialised sender ratchet key (33 B) */
  ratchetKey: Uint8Array;
  counter: number;
  previousCounter: number;
  ciphertext: Uint8Array;
  /** SPQR message; empty means absent */
  pqRatchet: Uint8Array;
  /** 36-byte addresses field, if present */
  addresses?: Uint8Array;
}

/** A parsed SignalMessage: fields plus the exact bytes that were MACed and the received MAC. */
export interface ParsedSignalMessage extends SignalMessageFields {
  version: number;
  /** version byte || protobuf (the MAC input after the two identity keys) */
  macInput: Uint8Array;
  mac: Uint8Array;
  serialized: Uint8Array;
}

function checkVersion(byte: number): number {
  const v = byte >> 4;
  if (v < MIN_RECOGNISED_VERSION) throw new ProtocolError('LegacyCiphertextVersion', 'legacy ciphertext version');
  if (v > CIPHERTEXT_MESSAGE_CURRENT_VERSION)
    throw new ProtocolError('UnrecognizedMessageVersion', 'unrecognized message version');
  return v;
}

/** Encodes `version || protobuf` of a SignalMessage (without the MAC). */
export function encodeSignalMessageBody(m: SignalMessageFields): Uint8Array {
  const w = new ProtoWriter()
    .bytes(1, m.ratchetKey)
    .uint(2, m.counter)
    .uint(3, m.previousCounter)
    .bytes(4, m.ciphertext);
  if (m.pqRatchet.length > 0) w.bytes(5, m.pqRatchet);
  if (m.addresses) w.bytes(6, m.addresses);
  return concat(Uint8Array.of(CIPHERTEXT_VERSION_BYTE), w.finish());
}

/**
 * Parses a serialised SignalMessage.
 * @throws ProtocolError `CiphertextMessageTooShort`, `LegacyCiphertextVersion`,
 *   `UnrecognizedMessageVersion`, `InvalidProtobufEncoding`
 */
export function decodeSignalMessage(bytes: Uint8Array): ParsedSignalMessage {
  if (bytes.length < 1 + MAC_LENGTH)
    throw new ProtocolError('CiphertextMessageTooShort', 'ciphertext message too short');
  const version = checkVersion(bytes[0]);
  const macInput = bytes.slice(0, bytes.length - MAC_LENGTH);
  const f = readFields(macInput.subarray(1));
  return {
    version,
    ratchetKey: required(f.bytes(1), 'ratchet_key'),
    counter: required(f.uint32(2), 'counter'),
    previousCounter: f.uint32(3) ?? 0,
    ciphertext: required(f.bytes(4), 'ciphertext'),
    pqRatchet: f.bytes(5) ?? new Uint8Array(0),
    addresses: f.bytes(6),
    macInput,
    mac: bytes.slice(bytes.length - MAC_LENGTH),
    serialized: Uint8Array.from(bytes),
  };
}

/** Fields of a PreKeySignalMessage. */
export interface PreKeySignalMessageFields {
  registrationId: number;
  preKeyId?: number;
  signedPreKeyId: number;
  kyberPreKeyId: number;
  /** `0x08 || c` */
  kyberCiphertext: Uint8Array;
  /** serialised base key (33 B) */
  baseKey: Uint8Array;
  /** serialised sender identity key (33 B) */
  identityKey: Uint8Array;
  /** the full serialised inner SignalMessage, MAC included */
  message: Uint8Array;
}

/** Encodes a PreKeySignalMessage (version byte then fields in tag order). */
export function encodePreKeySignalMessage(m: PreKeySignalMessageFields): Uint8Array {
  const w = new ProtoWriter();
  if (m.preKeyId !== undefined) w.uint(1, m.preKeyId);
  w.bytes(2, m.baseKey)
    .bytes(3, m.identityKey)
    .bytes(4, m.message)
    .uint(5, m.registrationId)
    .uint(6, m.signedPreKeyId)
    .uint(7, m.kyberPreKeyId)
    .bytes(8, m.kyberCiphertext);
  return concat(Uint8Array.of(CIPHERTEXT_VERSION_BYTE), w.finish());
}

/**
 * Parses a PreKeySignalMessage. Version 4 requires the Kyber id and ciphertext; version 3
 * (X3DH) is rejected because libsignal 0.103 no longer supports it.
 * @throws ProtocolError `CiphertextMessageTooShort`, `LegacyCiphertextVersion`,
 *   `UnrecognizedMessageVersion`, `InvalidProtobufEncoding`, `InvalidMessage`
 */
export function decodePreKeySignalMessage(bytes: Uint8Array): PreKeySignalMessageFields & { version: number } {
  if (bytes.length < 1) throw new ProtocolError('CiphertextMessageTooShort', 'ciphertext message too short');
  const version = checkVersion(bytes[0]);
  const f = readFields(bytes.subarray(1));
  if (version < CIPHERTEXT_MESSAGE_CURRENT_VERSION)
    throw new ProtocolError('InvalidMessage', 'X3DH no longer supported');
  const kyberPreKeyId = f.uint32(7);
  const kyberCiphertext = f.bytes(8);
  if (kyberPreKeyId === undefined || kyberCiphertext === undefined)
    throw new ProtocolError('InvalidMessage', 'missing Kyber prekey fields');
  return {
    version,
    registrationId: f.uint32(5) ?? 0,
    preKeyId: f.uint32(1),
    signedPreKeyId: required(f.uint32(6), 'signed_pre_key_id'),
    kyberPreKeyId,
    kyberCiphertext,
    baseKey: required(f.bytes(2), 'base_key'),
    identityKey: required(f.bytes(3), 'identity_key'),
    message: required(f.bytes(4), 'message'),
  };
}

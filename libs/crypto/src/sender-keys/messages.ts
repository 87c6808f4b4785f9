/**
 * Wire codec for the two sender-key messages (libsignal `rust/protocol/src/protocol.rs`,
 * `proto/wire.proto`; wire notes §5 and §9):
 *
 * ```
 * SenderKeyDistributionMessage = 0x33 || protobuf{1: distribution_uuid (16 B), 2: chain_id,
 *                                 3: iteration, 4: chain_key (32 B), 5: signing_key (33 B)}
 * SenderKeyMessage             = 0x33 || protobuf{1: distribution_uuid, 2: chain_id, 3: iteration,
 *                                 4: ciphertext} || XEdDSA signature (64 B, over all preceding bytes)
 * ```
 *
 * Parsing checks the version nibble and the length before anything else; every field is required.
 * The protobuf layer never leaves this module.
 * @module
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { abytes, aint } from '../bytes.js';
import {
  DISTRIBUTION_ID_LENGTH,
  SENDER_CHAIN_KEY_LENGTH,
  SENDER_KEY_MESSAGE_VERSION,
  SENDER_KEY_SIGNATURE_LENGTH,
  SENDER_SIGNING_KEY_LENGTH,
} from './constants.js';
import { ProtocolError } from '../errors.js';

/** The version byte both sender-key messages start with: `(3 << 4) | 3`. */
export const SENDER_KEY_VERSION_BYTE = (SENDER_KEY_MESSAGE_VERSION << 4) | SENDER_KEY_MESSAGE_VERSION;
/** libsignal's SKDM minimum: the version byte plus room for a chain key and an X25519 key. */
const MIN_DISTRIBUTION_MESSAGE_LENGTH = 1 + 32 + 32;
/** The version byte plus the trailing signature. */
const MIN_SENDER_KEY_MESSAGE_LENGTH = 1 + SENDER_KEY_SIGNATURE_LENGTH;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Fields of a SenderKeyDistributionMessage (SKDM). */
export interface DistributionFields {
  /** Distribution id as a lower-case hyphenated UUID string. */
  readonly distributionId: string;
  /** Random 31-bit chain id chosen by the sender. */
  readonly chainId: number;
  /** Iteration of `chainKey`. */
  readonly iteration: number;
  /** 32-byte chain key at `iteration`. Secret. */
  readonly chainKey: Uint8Array;
  /** Serialized Curve25519 signing public key (33 bytes, 0x05 prefix). */
  readonly signingKey: Uint8Array;
}

/** Fields of a SenderKeyMessage, plus the split needed to verify it. */
export interface SenderKeyMessageFields {
  readonly distributionId: string;
  readonly chainId: number;
  readonly iteration: number;
  /** AES-256-CBC ciphertext. */
  readonly ciphertext: Uint8Array;
  /** Every byte before the signature: what the signature covers. */
  readonly signedPart: Uint8Array;
  /** The 64-byte XEdDSA signature. */
  readonly signature: Uint8Array;
}

/**
 * Converts a UUID string to its 16 bytes.
 * @param id UUID in hyphenated form (any case)
 * @returns 16 bytes
 * @throws TypeError if `id` is not a hyphenated UUID string
 */
export function uuidToBytes(id: string): Uint8Array {
  if (typeof id !== 'string' || !UUID_RE.test(id)) {
    throw new TypeError('distributionId: expected a hyphenated UUID string');
  }
  const hex = id.replace(/-/g, '');
  const out = new Uint8Array(DISTRIBUTION_ID_LENGTH);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Formats 16 bytes as a lower-case hyphenated UUID string (the form libsignal-client returns).
 * @param bytes 16 bytes
 * @returns the UUID string
 * @throws RangeError if not 16 bytes
 */
export function bytesToUuid(bytes: Uint8Array): string {
  abytes('distributionId', bytes, DISTRIBUTION_ID_LENGTH);
  let h = '';
  for (const b of bytes) h += b.toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Normalises a distribution id to the canonical lower-case form.
 * @param id UUID string
 * @returns lower-case hyphenated UUID
 * @throws TypeError if `id` is not a UUID string
 */
export function normalizeDistributionId(id: string): string {
  return bytesToUuid(uuidToBytes(id));
}

/**
 * Serializes a SKDM exactly as libsignal does (fields in tag order).
 * @param f the message fields
 * @returns `0x33 || protobuf`
 * @throws TypeError / RangeError on malformed fields
 */
export function encodeDistributionMessage(f: DistributionFields): Uint8Array {
  aint('chainId', f.chainId, 0, 0xffff_ffff);
  aint('iteration', f.iteration, 0, 0xffff_ffff);
  abytes('chainKey', f.chainKey, SENDER_CHAIN_KEY_LENGTH);
  abytes('signingKey', f.signingKey, SENDER_SIGNING_KEY_LENGTH);
  const w = new BinaryWriter();
  w.raw(Uint8Array.of(SENDER_KEY_VERSION_BYTE));
  w.tag(1, WireType.LengthDelimited).bytes(uuidToBytes(f.distributionId));
  w.tag(2, WireType.Varint).uint32(f.chainId);
  w.tag(3, WireType.Varint).uint32(f.iteration);
  w.tag(4, WireType.LengthDelimited).bytes(f.chainKey);
  w.tag(5, WireType.LengthDelimited).bytes(f.signingKey);
  return w.finish();
}

/**
 * Parses a SKDM with libsignal's rules: length, then version, then all five fields present,
 * `chain_key` exactly 32 bytes and `signing_key` exactly 33 bytes. The signing key's type byte is
 * checked by the caller when it becomes a key object.
 * @param bytes serialized message
 * @returns the fields (copies; the input is not retained)
 * @throws ProtocolError `CiphertextMessageTooShort`, `LegacyCiphertextVersion`,
 *   `UnrecognizedCiphertextVersion` or `InvalidProtobufEncoding`
 */
export function decodeDistributionMessage(bytes: Uint8Array): DistributionFields {
  abytes('message', bytes);
  if (bytes.length < MIN_DISTRIBUTION_MESSAGE_LENGTH)
    throw new ProtocolError('CiphertextMessageTooShort', 'sender key message too short');
  checkVersion(bytes[0]!);
  const p = readFields(bytes.subarray(1), [1, 4, 5]);
  if (p.bytes[1] === undefined || p.ints[2] === undefined || p.ints[3] === undefined) {
    throw invalidProtobuf();
  }
  if (p.bytes[4] === undefined || p.bytes[5] === undefined) throw invalidProtobuf();
  if (p.bytes[1].length !== DISTRIBUTION_ID_LENGTH) throw invalidProtobuf();
  if (p.bytes[4].length !== SENDER_CHAIN_KEY_LENGTH || p.bytes[5].length !== SENDER_SIGNING_KEY_LENGTH) {
    throw invalidProtobuf();
  }
  return {
    distributionId: bytesToUuid(p.bytes[1]),
    chainId: p.ints[2],
    iteration: p.ints[3],
    chainKey: p.bytes[4],
    signingKey: p.bytes[5],
  };
}

/**
 * Serializes the signed part of a SenderKeyMessage: `0x33 || protobuf` (fields in tag order).
 * Append the 64-byte signature over exactly these bytes to get the wire message.
 * @param distributionId UUID string
 * @param chainId the sender's chain id
 * @param iteration chain iteration of this message
 * @param ciphertext AES-256-CBC output
 * @returns the bytes to sign
 * @throws TypeError / RangeError on malformed fields
 */
export function encodeSenderKeyMessageBody(
  distributionId: string,
  chainId: number,
  iteration: number,
  ciphertext: Uint8Array,
): Uint8Array {
  aint('chainId', chainId, 0, 0xffff_ffff);
  aint('iteration', iteration, 0, 0xffff_ffff);
  abytes('ciphertext', ciphertext);
  const w = new BinaryWriter();
  w.raw(Uint8Array.of(SENDER_KEY_VERSION_BYTE));
  w.tag(1, WireType.LengthDelimited).bytes(uuidToBytes(distributionId));
  w.tag(2, WireType.Varint).uint32(chainId);
  w.tag(3, WireType.Varint).uint32(iteration);
  w.tag(4, WireType.LengthDelimited).bytes(ciphertext);
  return w.finish();
}

/**
 * Parses a SenderKeyMessage with libsignal's rules: length, then version, then all four fields.
 * The signature is split off but **not** verified here: the verifying key lives in the record.
 * @param bytes serialized message
 * @returns fields plus the signed part and signature (views into `bytes` for the last two)
 * @throws ProtocolError `CiphertextMessageTooShort`, `LegacyCiphertextVersion`,
 *   `UnrecognizedCiphertextVersion` or `InvalidProtobufEncoding`
 */
export function decodeSenderKeyMessage(bytes: Uint8Array): SenderKeyMessageFields {
  abytes('message', bytes);
  if (bytes.length < MIN_SENDER_KEY_MESSAGE_LENGTH)
    throw new ProtocolError('CiphertextMessageTooShort', 'sender key message too short');
  checkVersion(bytes[0]!);
  const split = bytes.length - SENDER_KEY_SIGNATURE_LENGTH;
  const p = readFields(bytes.subarray(1, split), [1, 4]);
  if (p.bytes[1] === undefined || p.ints[2] === undefined || p.ints[3] === undefined) {
    throw invalidProtobuf();
  }
  if (p.bytes[4] === undefined || p.bytes[1].length !== DISTRIBUTION_ID_LENGTH) {
    throw invalidProtobuf();
  }
  return {
    distributionId: bytesToUuid(p.bytes[1]),
    chainId: p.ints[2],
    iteration: p.ints[3],
    ciphertext: p.bytes[4],
    signedPart: bytes.subarray(0, split),
    signature: bytes.subarray(split),
  };
}

function checkVersion(first: number): void {
  const version = first >> 4;
  if (version < SENDER_KEY_MESSAGE_VERSION)
    throw new ProtocolError('LegacyCiphertextVersion', `legacy sender key message version ${version}`);
  if (version > SENDER_KEY_MESSAGE_VERSION)
    throw new ProtocolError('UnrecognizedCiphertextVersion', `unrecognized sender key message version ${version}`);
}

function invalidProtobuf(): ProtocolError {
  return new ProtocolError('InvalidProtobufEncoding', 'invalid sender key message protobuf');
}

interface RawFields {
  bytes: Partial<Record<number, Uint8Array>>;
  ints: Partial<Record<number, number>>;
}

/**
 * Reads a flat message whose fields are either bytes (`bytesFields`) or uint32 varints (all
 * others among 1..5). Unknown fields are skipped and a known field with the wrong wire type is an
 * error, as in prost; a repeated scalar keeps the last value, as proto2 does.
 */
function readFields(buf: Uint8Array, bytesFields: readonly number[]): RawFields {
  const out: RawFields = { bytes: {}, ints: {} };
  try {
    const r = new BinaryReader(buf);
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      if (field < 1 || field > 5) {
        r.skip(wireType, field);
      } else if (bytesFields.includes(field)) {
        if (wireType !== WireType.LengthDelimited) throw new Error('wire type');
        out.bytes[field] = r.bytes().slice();
      } else {
        if (wireType !== WireType.Varint) throw new Error('wire type');
        out.ints[field] = r.uint32() >>> 0;
      }
    }
    if (r.pos !== r.len) throw new Error('truncated');
  } catch {
    throw invalidProtobuf();
  }
  return out;
}

/**
 * Codec for the scannable safety number: libsignal's `CombinedFingerprints` protobuf
 * (`rust/protocol/src/proto/fingerprint.proto`). Wire notes §10.
 *
 * ```
 * CombinedFingerprints { 1: version (uint32), 2: LogicalFingerprint local, 3: LogicalFingerprint remote }
 * LogicalFingerprint   { 1: content (bytes) }
 * ```
 *
 * The protobuf shape stays inside this module: callers see {@link CombinedFingerprints} only.
 * @module
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { aint } from '../bytes.js';
import { ProtocolError } from '../errors.js';

/** A decoded scannable fingerprint. `local` is the encoder's own hash prefix. */
export interface CombinedFingerprints {
  /** Scannable format version (2 in current Signal clients). */
  readonly version: number;
  /** First {@link SCANNABLE_HASH_LENGTH} bytes of the encoder's own iterated hash. */
  readonly local: Uint8Array;
  /** First {@link SCANNABLE_HASH_LENGTH} bytes of the encoder's peer's iterated hash. */
  readonly remote: Uint8Array;
}

/** Bytes of each party's iterated hash carried in the scannable form (libsignal `local_fprint[..32]`). */
export const SCANNABLE_HASH_LENGTH = 32;

/**
 * Encodes a scannable fingerprint exactly as libsignal does (fields in tag order, all present).
 * @param value version and the two 32-byte hash prefixes
 * @returns the protobuf bytes a peer scans from a QR code
 * @throws TypeError / RangeError if the version is not a uint32
 */
export function encodeCombinedFingerprints(value: CombinedFingerprints): Uint8Array {
  const { version, local, remote } = value;
  aint('version', version, 0, 0xffff_ffff);
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).uint32(version);
  w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(local).join();
  w.tag(3, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(remote).join();
  return w.finish();
}

/**
 * Decodes a scannable fingerprint. Like libsignal, a missing version decodes as version 0 (so that
 * it fails the version check rather than parsing), while a missing hash is a parse error.
 * @param bytes the scanned protobuf
 * @returns the decoded fields; unknown fields are skipped
 * @throws ProtocolError `FingerprintParsingError` if the bytes are not a well-formed `CombinedFingerprints`
 */
export function decodeCombinedFingerprints(bytes: Uint8Array): CombinedFingerprints {
  let version = 0;
  let local: Uint8Array | undefined;
  let remote: Uint8Array | undefined;
  try {
    const r = new BinaryReader(bytes);
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      if (field === 1 && wireType === WireType.Varint) version = r.uint32() >>> 0;
      else if (field === 2 && wireType === WireType.LengthDelimited) local = decodeLogical(r.bytes());
      else if (field === 3 && wireType === WireType.LengthDelimited) remote = decodeLogical(r.bytes());
      else r.skip(wireType, field);
    }
    if (r.pos !== r.len) throw new Error('truncated');
  } catch {
    throw new ProtocolError('FingerprintParsingError', 'scannable fingerprint: malformed protobuf');
  }
  if (local === undefined)
    throw new ProtocolError('FingerprintParsingError', 'scannable fingerprint: missing local fingerprint');
  if (remote === undefined)
    throw new ProtocolError('FingerprintParsingError', 'scannable fingerprint: missing remote fingerprint');
  return { version, local, remote };
}

function decodeLogical(bytes: Uint8Array): Uint8Array | undefined {
  let content: Uint8Array | undefined;
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) content = r.bytes().slice();
    else r.skip(wireType, field);
  }
  if (r.pos !== r.len) throw new Error('truncated');
  return content;
}

/**
 * Session state and record of the TypeScript engine (libsignal `state/session.rs` semantics):
 * one current state plus up to {@link ARCHIVED_STATES_MAX_LENGTH} previous ones per address.
 *
 * The record format is OUR OWN, not libsignal's `RecordStructure`: session records are
 * engine-specific. Records are written in the binary format 2 (`record-codec.ts`); records in the
 * earlier JSON format 1 (a versioned JSON document with base64 bytes) are still read. Everything in
 * here is secret.
 * @module
 */
import { fromBase64, toBase64, utf8, wipe } from '../bytes.js';
import { ARCHIVED_STATES_MAX_LENGTH } from '../constants.js';
import { ProtocolError } from '../errors.js';
import type { SpqrState } from '../spqr/chain.js';
import { decodeBinaryRecord, encodeBinaryRecord, isBinaryRecord } from './record-codec.js';

/** Format tag of format-1 (JSON) ts-engine session records, read for records stored before format 2. */
const RECORD_FORMAT = 'pairchat-ts-session-v1';

/** A skipped message seed. */
export interface SkippedSeed {
  index: number;
  seed: Uint8Array;
}

/** A receiver chain, keyed by the peer's ratchet public key. */
export interface ReceiverChain {
  /** serialised 33-byte ratchet public key of the peer */
  ratchetKey: Uint8Array;
  chainKey: Uint8Array;
  /** index of `chainKey` (next counter expected in order) */
  index: number;
  /** newest first, at most MAX_MESSAGE_KEYS */
  skipped: SkippedSeed[];
}

/** Our sending chain. */
export interface SenderChain {
  ratchetPrivate: Uint8Array;
  /** serialised 33-byte public key */
  ratchetPublic: Uint8Array;
  chainKey: Uint8Array;
  index: number;
}

/** What an initiator repeats in every message until the first reply (libsignal "unacknowledged pre-key message"). */
export interface PendingPreKey {
  preKeyId?: number;
  signedPreKeyId: number;
  kyberPreKeyId: number;
  kyberCiphertext: Uint8Array;
  /** serialised base key */
  baseKey: Uint8Array;
  /** ms since the epoch */
  createdAt: number;
}

/** One session state. */
export interface SessionState {
  version: number;
  localIdentity: Uint8Array;
  remoteIdentity: Uint8Array;
  rootKey: Uint8Array;
  previousCounter: number;
  sender: SenderChain;
  /** oldest first, at most MAX_RECEIVER_CHAINS */
  receivers: ReceiverChain[];
  pending?: PendingPreKey;
  localRegistrationId: number;
  remoteRegistrationId: number;
  /** Alice's base key (serialised), identifies the PQXDH run for reuse by PreKey messages */
  aliceBaseKey: Uint8Array;
  spqr: SpqrState;
  /** same identity and name on both ends: no forward-jump limit */
  selfSession: boolean;
}

/** A session record: current state and previous states, newest first. */
export interface SessionRecordData {
  current: SessionState | null;
  previous: SessionState[];
}

// ---- serialisation: Uint8Array <-> base64 inside JSON ----
const BYTES_TAG = '$b';

function replacer(_k: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return { [BYTES_TAG]: toBase64(v) };
  return v;
}

function reviver(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === BYTES_TAG && typeof o[BYTES_TAG] === 'string') return fromBase64(o[BYTES_TAG]);
  }
  return v;
}

/** Serialises a record (format 2, binary). */
export function encodeSessionRecord(r: SessionRecordData): Uint8Array {
  return encodeBinaryRecord(r);
}

/**
 * Serialises a record in the JSON format 1, as engines before format 2 stored it. Kept so tests can
 * check that such records still load; new records are always format 2.
 */
export function encodeSessionRecordV1(r: SessionRecordData): Uint8Array {
  return utf8(JSON.stringify({ format: RECORD_FORMAT, current: r.current, previous: r.previous }, replacer));
}

/**
 * Parses a record written by {@link encodeSessionRecord} (format 2) or by an earlier version of this
 * engine (JSON format 1).
 * @throws ProtocolError `InvalidSessionStructure` on anything else (e.g. a libsignal record)
 */
export function decodeSessionRecord(bytes: Uint8Array): SessionRecordData {
  if (isBinaryRecord(bytes)) return decodeBinaryRecord(bytes);
  let doc: { format?: unknown; current?: SessionState | null; previous?: SessionState[] };
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes), reviver);
  } catch {
    throw new ProtocolError('InvalidSessionStructure', 'invalid session record');
  }
  if (!doc || doc.format !== RECORD_FORMAT || !Array.isArray(doc.previous))
    throw new ProtocolError('InvalidSessionStructure', 'invalid session record');
  return { current: doc.current ?? null, previous: doc.previous };
}

/** Zeroes every secret buffer of a state (best effort; see `wipe`). */
export function wipeState(s: SessionState): void {
  wipe(s.rootKey, s.sender.ratchetPrivate, s.sender.chainKey, s.spqr.send.next, s.spqr.recv.next);
  for (const r of s.receivers) {
    wipe(r.chainKey);
    for (const k of r.skipped) wipe(k.seed);
  }
  for (const k of s.spqr.recv.skipped) wipe(k.key);
}

/** Zeroes every state of a record. */
export function wipeRecord(r: SessionRecordData): void {
  if (r.current) wipeState(r.current);
  for (const s of r.previous) wipeState(s);
}

/**
 * Makes `state` current, archiving the previous current state; states beyond
 * ARCHIVED_STATES_MAX_LENGTH are dropped and wiped.
 */
export function promoteState(r: SessionRecordData, state: SessionState): void {
  if (r.current) r.previous.unshift(r.current);
  r.current = state;
  while (r.previous.length > ARCHIVED_STATES_MAX_LENGTH) wipeState(r.previous.pop()!);
}

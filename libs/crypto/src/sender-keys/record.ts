/**
 * The sender-key record: up to {@link MAX_SENDER_KEY_STATES} chain states for one
 * (sender, distribution id), newest first, stored as libsignal's `SenderKeyRecordStructure`
 * protobuf (`rust/protocol/src/proto/storage.proto`) so that a record written by either engine
 * loads in the other:
 *
 * ```
 * SenderKeyRecordStructure { repeated SenderKeyStateStructure sender_key_states = 1; }
 * SenderKeyStateStructure  { 1: chain_id, 2: SenderChainKey {1: iteration, 2: seed},
 *                            3: SenderSigningKey {1: public, 2: private},
 *                            4: repeated SenderMessageKey {1: iteration, 2: seed}, 5: message_version }
 * ```
 *
 * (proto3: zero integers and empty bytes are omitted; `message_version` 0 means 3.)
 * The state logic mirrors libsignal `sender_keys.rs`. Records are mutable working copies: the
 * cipher decodes one, changes it and encodes it back only on success.
 * @module
 */
import { wipe } from '../bytes.js';
import { CURVE25519_KEY_LENGTH, PUBLIC_KEY_LENGTH } from '../constants.js';
import { ProtocolError } from '../errors.js';
import { ProtoWriter, readFields, required } from '../proto/codec.js';
import {
  MAX_SENDER_KEY_STATES,
  SENDER_CHAIN_KEY_LENGTH,
  SENDER_KEY_MAX_MESSAGE_KEYS,
  SENDER_KEY_MESSAGE_VERSION,
} from './constants.js';

/** A skipped message key, kept as its seed (the HKDF input) like libsignal does. */
export interface SenderMessageKeySeed {
  readonly iteration: number;
  /** 32-byte `HMAC(CK, 0x01)`. Secret. */
  readonly seed: Uint8Array;
}

/** One sender chain. Field names follow the storage protobuf. */
export interface SenderKeyState {
  /** Message version of this chain; 3 for every state libsignal creates. */
  messageVersion: number;
  /** 31-bit chain id. */
  chainId: number;
  /** Iteration of `chainKey`: the next message key to be used or expected. */
  chainIteration: number;
  /** 32-byte chain key at `chainIteration`. Secret. */
  chainKey: Uint8Array;
  /** Serialized signing public key (33 bytes). */
  signingPublic: Uint8Array;
  /** 32-byte signing private key; present only in our own (sending) states. Secret. */
  signingPrivate: Uint8Array | undefined;
  /** Skipped message keys, oldest first. */
  messageKeys: SenderMessageKeySeed[];
}

/** A decoded record: states newest first. */
export interface SenderKeyRecordData {
  states: SenderKeyState[];
}

/**
 * Decodes a stored record. A record with zero states is valid (libsignal can store one).
 * @param bytes serialized `SenderKeyRecordStructure`
 * @returns the record (all byte fields are fresh copies)
 * @throws ProtocolError `InvalidProtobufEncoding` if the bytes are not a record
 */
export function decodeSenderKeyRecord(bytes: Uint8Array): SenderKeyRecordData {
  const top = readFields(bytes);
  return { states: top.repeatedBytes(1).map(decodeState) };
}

/**
 * Encodes a record in libsignal's storage format.
 * @param record the record
 * @returns serialized `SenderKeyRecordStructure`
 */
export function encodeSenderKeyRecord(record: SenderKeyRecordData): Uint8Array {
  const w = new ProtoWriter();
  for (const state of record.states) w.bytes(1, encodeState(state));
  return w.finish();
}

/**
 * Finds the state with `chainId` (libsignal `sender_key_state_for_chain_id`: first match).
 * @param record the decoded record
 * @param chainId chain id from a received message
 * @returns the state (mutable, part of `record`) or undefined
 */
export function stateForChainId(record: SenderKeyRecordData, chainId: number): SenderKeyState | undefined {
  return record.states.find((s) => s.chainId === chainId);
}

/**
 * Adds a chain state as libsignal's `add_sender_key_state` does: an existing state with the same
 * chain id **and** signing key is kept (with its progress) and moved to the front; other states
 * with that chain id are dropped (a key change under a reused id); then the oldest states are
 * evicted so at most {@link MAX_SENDER_KEY_STATES} remain.
 * @param record record to change in place
 * @param state the new state (used only if no matching state exists)
 */
export function addSenderKeyState(record: SenderKeyRecordData, state: SenderKeyState): void {
  const existingIndex = record.states.findIndex(
    (s) => s.chainId === state.chainId && bytesEqualPublic(s.signingPublic, state.signingPublic),
  );
  const existing = existingIndex >= 0 ? record.states.splice(existingIndex, 1)[0] : undefined;
  record.states = record.states.filter((s) => s.chainId !== state.chainId);
  while (record.states.length >= MAX_SENDER_KEY_STATES) record.states.pop();
  record.states.unshift(existing ?? state);
}

/**
 * Stores a skipped message key; beyond {@link SENDER_KEY_MAX_MESSAGE_KEYS} the oldest is dropped.
 * @param state state to change in place
 * @param key the skipped key
 */
export function addMessageKey(state: SenderKeyState, key: SenderMessageKeySeed): void {
  state.messageKeys.push(key);
  while (state.messageKeys.length > SENDER_KEY_MAX_MESSAGE_KEYS) wipe(state.messageKeys.shift()!.seed);
}

/**
 * Removes and returns the stored key for `iteration`, if any.
 * @param state state to change in place
 * @param iteration the message iteration
 * @returns the seed entry, or undefined if none is stored (a duplicate or a trimmed key)
 */
export function takeMessageKey(state: SenderKeyState, iteration: number): SenderMessageKeySeed | undefined {
  const i = state.messageKeys.findIndex((k) => k.iteration === iteration);
  return i >= 0 ? state.messageKeys.splice(i, 1)[0] : undefined;
}

/** Public keys are public: plain comparison is fine here. */
function bytesEqualPublic(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function decodeState(bytes: Uint8Array): SenderKeyState {
  const f = readFields(bytes);
  const chain = readFields(required(f.bytes(2), 'sender_chain_key'));
  const signing = readFields(required(f.bytes(3), 'sender_signing_key'));
  const chainKey = chain.bytes(2) ?? new Uint8Array(0);
  if (chainKey.length !== SENDER_CHAIN_KEY_LENGTH) {
    throw new ProtocolError('InvalidProtobufEncoding', 'sender key record: bad chain key length');
  }
  const signingPublic = signing.bytes(1) ?? new Uint8Array(0);
  if (signingPublic.length !== PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('InvalidProtobufEncoding', 'sender key record: bad signing key length');
  }
  const signingPrivate = signing.bytes(2);
  if (signingPrivate !== undefined && signingPrivate.length !== 0 && signingPrivate.length !== CURVE25519_KEY_LENGTH) {
    throw new ProtocolError('InvalidProtobufEncoding', 'sender key record: bad signing private key length');
  }
  const messageKeys = f.repeatedBytes(4).map((b) => {
    const k = readFields(b);
    const seed = k.bytes(2) ?? new Uint8Array(0);
    return { iteration: k.uint32(1) ?? 0, seed };
  });
  const version = f.uint32(5) ?? 0;
  return {
    // libsignal: "0 => 3, the first SenderKey version".
    messageVersion: version === 0 ? SENDER_KEY_MESSAGE_VERSION : version,
    chainId: f.uint32(1) ?? 0,
    chainIteration: chain.uint32(1) ?? 0,
    chainKey,
    signingPublic,
    signingPrivate: signingPrivate !== undefined && signingPrivate.length > 0 ? signingPrivate : undefined,
    messageKeys,
  };
}

function encodeState(s: SenderKeyState): Uint8Array {
  const w = new ProtoWriter();
  if (s.chainId !== 0) w.uint(1, s.chainId);
  const chain = new ProtoWriter();
  if (s.chainIteration !== 0) chain.uint(1, s.chainIteration);
  chain.bytes(2, s.chainKey);
  w.bytes(2, chain.finish());
  const signing = new ProtoWriter().bytes(1, s.signingPublic);
  if (s.signingPrivate) signing.bytes(2, s.signingPrivate);
  w.bytes(3, signing.finish());
  for (const k of s.messageKeys) {
    const mk = new ProtoWriter();
    if (k.iteration !== 0) mk.uint(1, k.iteration);
    mk.bytes(2, k.seed);
    w.bytes(4, mk.finish());
  }
  if (s.messageVersion !== 0) w.uint(5, s.messageVersion);
  return w.finish();
}

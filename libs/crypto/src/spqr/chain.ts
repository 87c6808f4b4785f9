/**
 * SPQR "chain-only" (wire notes §8.2, §8.3, §8.7; SPQR `src/chain.rs`): the symmetric key chain of
 * the Sparse Post-Quantum Ratchet, rooted in PQXDH's third output (PQR), without the ML-KEM braid.
 *
 * We always send `0x01 || varint(1) || varint(index) || 0x00` (epoch 1, type None) and derive keys
 * from chain epoch 0. Received SPQR payloads (header chunks etc.) are parsed and validated, then
 * ignored: the peer therefore never completes an epoch, and the session stays in epoch 1.
 *
 * Security: every message key stays salted by a chain rooted in the Kyber secret (harvest-now-
 * decrypt-later protection holds), but there is NO post-quantum post-compromise security. The
 * full braid is a later stage.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { be32, concat, utf8, wipe } from '../bytes.js';
import {
  SPQR_CHAIN_NEXT_INFO,
  SPQR_CHAIN_ONLY_EPOCH,
  SPQR_CHAIN_START_INFO,
  SPQR_CHUNK_LENGTH,
  SPQR_MAX_CHUNK_INDEX,
  SPQR_MAX_JUMP,
  SPQR_MAX_OOO_KEYS,
  SPQR_MSG_TYPE_CT1_ACK,
  SPQR_MSG_TYPE_MAX,
  SPQR_MSG_TYPE_NONE,
  SPQR_VERSION_V1,
} from '../constants.js';
import { ProtocolError } from '../errors.js';

const ZERO_SALT = new Uint8Array(32);
const START_INFO = utf8(SPQR_CHAIN_START_INFO);
const NEXT_INFO = utf8(SPQR_CHAIN_NEXT_INFO);

/** One direction of the epoch-0 chain. */
export interface SpqrChain {
  /** current chain secret */
  next: Uint8Array;
  /** index of the last key derived (first key has index 1) */
  ctr: number;
}

/** Receive direction: the chain plus out-of-order keys (index → key), oldest first, none older than SPQR_MAX_OOO_KEYS behind `ctr`. */
export interface SpqrRecvChain extends SpqrChain {
  skipped: { index: number; key: Uint8Array }[];
}

/** Chain-only SPQR state of one session side. */
export interface SpqrState {
  send: SpqrChain;
  recv: SpqrRecvChain;
  /** forward-jump limit (unlimited for self-sessions) */
  maxJump: number;
}

/** Which direction we send in: the initiator sends A2B. */
export type SpqrDirection = 'A2B' | 'B2A';

/**
 * Initial state from PQR: `HKDF(PQR, 0×32, "Signal PQ Ratchet V1 Chain  Start", 96)` =
 * next_root || A2B || B2A. next_root is only needed to add epochs, which chain-only never does.
 */
export function spqrInitialState(authKey: Uint8Array, direction: SpqrDirection, maxJump = SPQR_MAX_JUMP): SpqrState {
  const g = hkdf(sha256, authKey, ZERO_SALT, START_INFO, 96);
  const a2b = g.slice(32, 64);
  const b2a = g.slice(64, 96);
  wipe(g);
  const [send, recv] = direction === 'A2B' ? [a2b, b2a] : [b2a, a2b];
  return { send: { next: send, ctr: 0 }, recv: { next: recv, ctr: 0, skipped: [] }, maxJump };
}

/** One chain step: `ctr += 1; o = HKDF(next, 0×32, BE32(ctr) || label, 64)`; next = o[0..32], key = o[32..64]. */
function step(chain: SpqrChain): Uint8Array {
  chain.ctr += 1;
  const o = hkdf(sha256, chain.next, ZERO_SALT, concat(be32(chain.ctr), NEXT_INFO), 64);
  wipe(chain.next);
  chain.next = o.slice(0, 32);
  const key = o.slice(32, 64);
  wipe(o);
  return key;
}

function writeVarint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: message decode failed');
    const byte = b[pos++];
    result += (byte & 0x7f) * mul;
    if (!(byte & 0x80)) {
      if (!Number.isSafeInteger(result)) break;
      return [result, pos];
    }
    mul *= 128;
  }
  throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: message decode failed');
}

/**
 * Produces the next outgoing SPQR message and key, mutating `state` (callers work on a copy).
 * @returns `msg` to put in the SignalMessage `pq_ratchet` field and the 32-byte message-key salt
 */
export function spqrSend(state: SpqrState): { msg: Uint8Array; key: Uint8Array } {
  const key = step(state.send);
  const msg = Uint8Array.from([
    SPQR_VERSION_V1,
    ...writeVarint(SPQR_CHAIN_ONLY_EPOCH),
    ...writeVarint(state.send.ctr),
    SPQR_MSG_TYPE_NONE,
  ]);
  return { msg, key };
}

/** Parsed SPQR message header (payload chunk validated but not kept). */
export interface SpqrHeader {
  epoch: number;
  index: number;
  type: number;
}

/**
 * Parses an SPQR V1 message. Trailing bytes are allowed, as in the reference.
 * @throws ProtocolError `InvalidMessage` ("Minimum version" for an empty message, decode errors)
 */
export function parseSpqrMessage(msg: Uint8Array): SpqrHeader {
  if (msg.length === 0) throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: Minimum version');
  if (msg[0] !== SPQR_VERSION_V1)
    throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: message decode failed');
  let pos = 1;
  let epoch: number;
  let index: number;
  [epoch, pos] = readVarint(msg, pos);
  [index, pos] = readVarint(msg, pos);
  if (pos >= msg.length) throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: message decode failed');
  const type = msg[pos++];
  if (type > SPQR_MSG_TYPE_MAX || epoch < 1)
    throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: message decode failed');
  const hasChunk = type !== SPQR_MSG_TYPE_NONE && type !== SPQR_MSG_TYPE_CT1_ACK;
  if (hasChunk) {
    let chunkIndex: number;
    [chunkIndex, pos] = readVarint(msg, pos);
    if (chunkIndex > SPQR_MAX_CHUNK_INDEX || msg.length - pos < SPQR_CHUNK_LENGTH)
      throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: message decode failed');
  }
  return { epoch, index, type };
}

/**
 * Consumes an incoming SPQR message, mutating `state` (callers work on a copy).
 * @returns the 32-byte key salting this message's keys, or undefined for index 0 ("no key")
 * @throws ProtocolError `InvalidMessage` for epochs we never reached, jumps beyond the limit,
 *   trimmed or already-used indices
 */
export function spqrRecv(state: SpqrState, msg: Uint8Array): Uint8Array | undefined {
  const h = parseSpqrMessage(msg);
  if (h.epoch !== SPQR_CHAIN_ONLY_EPOCH)
    throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: epoch out of range');
  if (h.index === 0) return undefined;
  const chain = state.recv;
  if (h.index > chain.ctr) {
    if (h.index - chain.ctr > state.maxJump)
      throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: key jump');
    while (chain.ctr < h.index - 1) {
      const k = step(chain);
      // keys that would be trimmed right away are not kept (the reference skips them the same way)
      if (chain.ctr + SPQR_MAX_OOO_KEYS >= h.index) chain.skipped.push({ index: chain.ctr, key: k });
      else wipe(k);
    }
    const key = step(chain);
    // Trim horizon as in the reference KeyHistory: keys more than max_ooo_keys behind are dropped.
    while (chain.skipped.length > 0 && chain.skipped[0].index + SPQR_MAX_OOO_KEYS < chain.ctr)
      wipe(chain.skipped.shift()!.key);
    return key;
  }
  if (h.index + SPQR_MAX_OOO_KEYS < chain.ctr)
    throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: key trimmed');
  const i = chain.skipped.findIndex((s) => s.index === h.index);
  if (i < 0) throw new ProtocolError('InvalidMessage', 'post-quantum ratchet error: key already requested');
  return chain.skipped.splice(i, 1)[0].key;
}

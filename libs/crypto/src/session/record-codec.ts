/**
 * Binary format of ts-engine session records (format 2), which replaced the JSON format 1
 * (`pairchat-ts-session-v1`, still read by `decodeSessionRecord`). Every operation on a session loads
 * and stores its record, and the JSON format (base64 inside JSON, a replacer and a reviver per
 * value) cost about as much as the message cryptography of a one-way message.
 *
 * Layout: the 4-byte {@link RECORD_MAGIC}, then `current` (presence byte + state) and `previous`
 * (count + states). Integers are float64 big-endian (every count, index and timestamp is a safe
 * integer, checked on read), byte strings are a uint32 big-endian length and the bytes. The magic
 * cannot start a format-1 record (JSON starts with `{`). Nothing here is protobuf: this format is
 * ours, as format 1 was; session records are engine-specific.
 * @module
 */
import { ProtocolError } from '../errors.js';
import type { SpqrState } from '../spqr/chain.js';
import type { PendingPreKey, ReceiverChain, SessionRecordData, SessionState } from './state.js';

/** "PCS" and format number 2. */
export const RECORD_MAGIC = Uint8Array.of(0x50, 0x43, 0x53, 0x02);

const invalid = () => new ProtocolError('InvalidSessionStructure', 'invalid session record');

/** Appends values to a growing buffer. */
class RecordWriter {
  private buf = new Uint8Array(2048);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf.fill(0); // secrets: do not leave a stale copy behind
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  num(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }

  flag(v: boolean): this {
    this.reserve(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.reserve(4 + v.length);
    this.view.setUint32(this.pos, v.length);
    this.buf.set(v, this.pos + 4);
    this.pos += 4 + v.length;
    return this;
  }

  raw(v: Uint8Array): this {
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  /** The encoded bytes; the working buffer is zeroed. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.buf.fill(0);
    return out;
  }
}

/** Reads values back; any shortfall or out-of-range value throws `InvalidSessionStructure`. */
class RecordReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw invalid();
  }

  /** A non-negative safe integer. */
  num(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw invalid();
    return v;
  }

  flag(): boolean {
    this.need(1);
    const v = this.buf[this.pos++];
    if (v > 1) throw invalid();
    return v === 1;
  }

  bytes(): Uint8Array {
    this.need(4);
    const n = this.view.getUint32(this.pos);
    this.pos += 4;
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A count of following items, each at least `minItemBytes` long (bounds allocation on bad input). */
  count(minItemBytes: number): number {
    const n = this.num();
    if (n * minItemBytes > this.buf.length - this.pos) throw invalid();
    return n;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  end(): void {
    if (this.pos !== this.buf.length) throw invalid();
  }
}

function writeSpqr(w: RecordWriter, s: SpqrState): void {
  w.bytes(s.send.next).num(s.send.ctr);
  w.bytes(s.recv.next).num(s.recv.ctr).num(s.recv.skipped.length);
  for (const k of s.recv.skipped) w.num(k.index).bytes(k.key);
  w.num(s.maxJump);
}

function readSpqr(r: RecordReader): SpqrState {
  const send = { next: r.bytes(), ctr: r.num() };
  const recvNext = r.bytes();
  const recvCtr = r.num();
  const skipped: SpqrState['recv']['skipped'] = [];
  for (let i = r.count(12); i > 0; i--) skipped.push({ index: r.num(), key: r.bytes() });
  return { send, recv: { next: recvNext, ctr: recvCtr, skipped }, maxJump: r.num() };
}

function writeState(w: RecordWriter, s: SessionState): void {
  w.num(s.version).bytes(s.localIdentity).bytes(s.remoteIdentity).bytes(s.rootKey).num(s.previousCounter);
  w.bytes(s.sender.ratchetPrivate).bytes(s.sender.ratchetPublic).bytes(s.sender.chainKey).num(s.sender.index);
  w.num(s.receivers.length);
  for (const c of s.receivers) {
    w.bytes(c.ratchetKey).bytes(c.chainKey).num(c.index).num(c.skipped.length);
    for (const k of c.skipped) w.num(k.index).bytes(k.seed);
  }
  const p = s.pending;
  w.flag(!!p);
  if (p) {
    w.flag(p.preKeyId !== undefined);
    if (p.preKeyId !== undefined) w.num(p.preKeyId);
    w.num(p.signedPreKeyId).num(p.kyberPreKeyId).bytes(p.kyberCiphertext).bytes(p.baseKey).num(p.createdAt);
  }
  w.num(s.localRegistrationId).num(s.remoteRegistrationId).bytes(s.aliceBaseKey);
  writeSpqr(w, s.spqr);
  w.flag(s.selfSession);
}

function readState(r: RecordReader): SessionState {
  const version = r.num();
  const localIdentity = r.bytes();
  const remoteIdentity = r.bytes();
  const rootKey = r.bytes();
  const previousCounter = r.num();
  const sender = { ratchetPrivate: r.bytes(), ratchetPublic: r.bytes(), chainKey: r.bytes(), index: r.num() };
  const receivers: ReceiverChain[] = [];
  for (let i = r.count(24); i > 0; i--) {
    const ratchetKey = r.bytes();
    const chainKey = r.bytes();
    const index = r.num();
    const skipped: ReceiverChain['skipped'] = [];
    for (let j = r.count(12); j > 0; j--) skipped.push({ index: r.num(), seed: r.bytes() });
    receivers.push({ ratchetKey, chainKey, index, skipped });
  }
  let pending: PendingPreKey | undefined;
  if (r.flag()) {
    const preKeyId = r.flag() ? r.num() : undefined;
    pending = {
      ...(preKeyId !== undefined ? { preKeyId } : {}),
      signedPreKeyId: r.num(),
      kyberPreKeyId: r.num(),
      kyberCiphertext: r.bytes(),
      baseKey: r.bytes(),
      createdAt: r.num(),
    };
  }
  const localRegistrationId = r.num();
  const remoteRegistrationId = r.num();
  const aliceBaseKey = r.bytes();
  const spqr = readSpqr(r);
  const selfSession = r.flag();
  return {
    version,
    localIdentity,
    remoteIdentity,
    rootKey,
    previousCounter,
    sender,
    receivers,
    ...(pending ? { pending } : {}),
    localRegistrationId,
    remoteRegistrationId,
    aliceBaseKey,
    spqr,
    selfSession,
  };
}

/** Encodes a record in format 2. */
export function encodeBinaryRecord(record: SessionRecordData): Uint8Array {
  const w = new RecordWriter().raw(RECORD_MAGIC).flag(record.current !== null);
  if (record.current) writeState(w, record.current);
  w.num(record.previous.length);
  for (const s of record.previous) writeState(w, s);
  return w.finish();
}

/** True if `bytes` start with the format-2 magic. */
export function isBinaryRecord(bytes: Uint8Array): boolean {
  return bytes.length >= RECORD_MAGIC.length && RECORD_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Decodes a format-2 record.
 * @throws ProtocolError `InvalidSessionStructure` on truncated, overlong or out-of-range input
 */
export function decodeBinaryRecord(bytes: Uint8Array): SessionRecordData {
  if (!isBinaryRecord(bytes)) throw invalid();
  const r = new RecordReader(bytes);
  r.skip(RECORD_MAGIC.length);
  const current = r.flag() ? readState(r) : null;
  const previous: SessionState[] = [];
  for (let i = r.count(64); i > 0; i--) previous.push(readState(r));
  r.end();
  return { current, previous };
}

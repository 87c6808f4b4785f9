import { describe, expect, it } from '@jest/globals';
import { SPQR_MAX_JUMP, SPQR_MAX_OOO_KEYS } from '../../src/constants.js';
import { parseSpqrMessage, spqrInitialState, spqrRecv, spqrSend } from '../../src/spqr/chain.js';
import { expect as jexpect } from '@jest/globals';

const auth = new Uint8Array(32).fill(3);

describe('SPQR chain-only', () => {
  it('sender and receiver derive the same keys, in and out of order, each once', () => {
    const a = spqrInitialState(auth, 'A2B');
    const b = spqrInitialState(auth, 'B2A');
    const sent = [spqrSend(a), spqrSend(a), spqrSend(a), spqrSend(a)];
    expect(spqrRecv(b, sent[2].msg)).toEqual(sent[2].key);
    expect(spqrRecv(b, sent[0].msg)).toEqual(sent[0].key);
    expect(spqrRecv(b, sent[3].msg)).toEqual(sent[3].key);
    expect(spqrRecv(b, sent[1].msg)).toEqual(sent[1].key);
    expect(() => spqrRecv(b, sent[1].msg)).toThrow(jexpect.objectContaining({ code: 'InvalidMessage' }));
    // the other direction is a different chain
    const back = spqrSend(b);
    expect(back.key).not.toEqual(sent[0].key);
    expect(spqrRecv(a, back.msg)).toEqual(back.key);
  });

  it('drops keys more than SPQR_MAX_OOO_KEYS behind, like the reference KeyHistory', () => {
    const a = spqrInitialState(auth, 'A2B');
    const b = spqrInitialState(auth, 'B2A');
    const sent = Array.from({ length: SPQR_MAX_OOO_KEYS + 3 }, () => spqrSend(a));
    const last = sent[sent.length - 1];
    expect(spqrRecv(b, last.msg)).toEqual(last.key);
    expect(() => spqrRecv(b, sent[0].msg)).toThrow('trimmed'); // index 1 + 2000 < 2003
    expect(() => spqrRecv(b, sent[1].msg)).toThrow('trimmed');
    expect(spqrRecv(b, sent[2].msg)).toEqual(sent[2].key); // index 3 + 2000 = 2003: still held
    expect(b.recv.skipped.length).toBe(SPQR_MAX_OOO_KEYS - 1);
  });

  it('parses reference chunk messages and rejects malformed, empty, later-epoch and far-jump ones', () => {
    const hdr = Uint8Array.of(1, 1, 5, 1, 0, ...new Uint8Array(32));
    expect(parseSpqrMessage(hdr)).toEqual({ epoch: 1, index: 5, type: 1 });
    expect(parseSpqrMessage(Uint8Array.of(1, 1, 5, 4))).toEqual({ epoch: 1, index: 5, type: 4 });
    expect(() => parseSpqrMessage(new Uint8Array(0))).toThrow('Minimum version');
    expect(() => parseSpqrMessage(Uint8Array.of(2, 1, 1, 0))).toThrow('decode');
    expect(() => parseSpqrMessage(Uint8Array.of(1, 1, 5, 1, 0, 1, 2))).toThrow('decode'); // short chunk
    expect(() => parseSpqrMessage(Uint8Array.of(1, 1, 5, 9))).toThrow('decode');
    const b = spqrInitialState(auth, 'B2A');
    expect(() => spqrRecv(b, Uint8Array.of(1, 2, 1, 0))).toThrow('epoch');
    const far = SPQR_MAX_JUMP + 1;
    const varint = [(far & 0x7f) | 0x80, ((far >> 7) & 0x7f) | 0x80, far >> 14];
    expect(() => spqrRecv(b, Uint8Array.of(1, 1, ...varint, 0))).toThrow('jump');
    expect(spqrRecv(b, Uint8Array.of(1, 1, 0, 0))).toBeUndefined(); // index 0: no key
  });
});

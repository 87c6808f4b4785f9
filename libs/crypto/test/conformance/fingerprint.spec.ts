/**
 * Safety-number conformance: both engines give identical displayable and scannable fingerprints,
 * match libsignal's published vectors, detect mismatches and refuse version mismatches.
 * Wire notes §10.
 */
import { describe, expect, it } from '@jest/globals';
import { fromHex, toHex, utf8 } from '../../src/bytes.js';
import { IdentityKeyPair } from '../../src/curve.js';
import { ProtocolError } from '../../src/errors.js';
import type { Fingerprints } from '../../src/fingerprint/api.js';
import { NativeFingerprints } from '../../src/fingerprint/native.js';
import { FINGERPRINT_ITERATIONS, SCANNABLE_FINGERPRINT_VERSION } from '../../src/fingerprint/safety-number.js';
import { TsFingerprints } from '../../src/fingerprint/ts.js';

const engines: Record<'ts' | 'native', Fingerprints> = { ts: new TsFingerprints(), native: new NativeFingerprints() };
const names = ['native', 'ts'] as const;

// libsignal rust/protocol/src/fingerprint.rs test vectors (testVectorsVersion1/2 in Java).
const ALICE_IDENTITY = fromHex('0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868');
const BOB_IDENTITY = fromHex('05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b');
const ALICE_STABLE_ID = utf8('+14152222222');
const BOB_STABLE_ID = utf8('+14153333333');
const DISPLAYABLE = '300354477692869396892869876765458257569162576843440918079131';
const ALICE_HASH = '1e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df';
const BOB_HASH = 'd62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d';
const scannableHex = (version: number, local: string, remote: string) =>
  `08${version.toString(16).padStart(2, '0')}12220a20${local}1a220a20${remote}`;

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e instanceof ProtocolError ? e.code : String(e)).toBe(code);
}

describe.each(names)('fingerprints: %s engine', (name) => {
  const sut = engines[name];

  it.each([1, 2])('reproduces libsignal’s version-%i vectors', async (version) => {
    const a = await sut.safetyNumber(5200, version, ALICE_STABLE_ID, ALICE_IDENTITY, BOB_STABLE_ID, BOB_IDENTITY);
    const b = await sut.safetyNumber(5200, version, BOB_STABLE_ID, BOB_IDENTITY, ALICE_STABLE_ID, ALICE_IDENTITY);
    expect(a.displayable).toBe(DISPLAYABLE);
    expect(b.displayable).toBe(DISPLAYABLE);
    expect(toHex(a.scannable)).toBe(scannableHex(version, ALICE_HASH, BOB_HASH));
    expect(toHex(b.scannable)).toBe(scannableHex(version, BOB_HASH, ALICE_HASH));
    expect(await sut.compareScannable(a.scannable, b.scannable)).toBe(true);
  });

  it('detects a different identity key and refuses a version mismatch', async () => {
    const alice = IdentityKeyPair.generate().publicKey.serialize();
    const bob = IdentityKeyPair.generate().publicKey.serialize();
    const mitm = IdentityKeyPair.generate().publicKey.serialize();
    const aliceId = utf8('alice');
    const bobId = utf8('bob');
    const v = SCANNABLE_FINGERPRINT_VERSION;
    const aliceView = await sut.safetyNumber(FINGERPRINT_ITERATIONS, v, aliceId, alice, bobId, bob);
    const bobView = await sut.safetyNumber(FINGERPRINT_ITERATIONS, v, bobId, bob, aliceId, alice);
    // Alice was given a substituted key for Bob.
    const fooled = await sut.safetyNumber(FINGERPRINT_ITERATIONS, v, aliceId, alice, bobId, mitm);
    expect(aliceView.displayable).toMatch(/^\d{60}$/);
    expect(bobView.displayable).toBe(aliceView.displayable);
    expect(fooled.displayable).not.toBe(bobView.displayable);
    expect(await sut.compareScannable(aliceView.scannable, bobView.scannable)).toBe(true);
    expect(await sut.compareScannable(bobView.scannable, aliceView.scannable)).toBe(true);
    expect(await sut.compareScannable(fooled.scannable, bobView.scannable)).toBe(false);
    expect(await sut.compareScannable(bobView.scannable, fooled.scannable)).toBe(false);
    // Scanning one's own code is not a match either (local/remote are swapped on the other side).
    expect(await sut.compareScannable(aliceView.scannable, aliceView.scannable)).toBe(false);

    const bobV1 = await sut.safetyNumber(FINGERPRINT_ITERATIONS, 1, bobId, bob, aliceId, alice);
    await expectCode(sut.compareScannable(aliceView.scannable, bobV1.scannable), 'FingerprintVersionMismatch');
    await expectCode(sut.compareScannable(aliceView.scannable, Uint8Array.of(1, 2, 3)), 'FingerprintParsingError');
  });

  it('rejects bad arguments', async () => {
    const key = IdentityKeyPair.generate().publicKey.serialize();
    const id = utf8('x');
    await expect(sut.safetyNumber(1, 2, id, key, id, key)).rejects.toThrow(RangeError);
    await expect(sut.safetyNumber(1_000_001, 2, id, key, id, key)).rejects.toThrow(RangeError);
    await expect(sut.safetyNumber(5200, 2, id, key.subarray(1), id, key)).rejects.toThrow(RangeError);
    const badType = Uint8Array.from(key);
    badType[0] = 0x06;
    await expectCode(sut.safetyNumber(5200, 2, id, key, id, badType), 'BadKeyType');
  });
});

describe('fingerprints: cross-engine', () => {
  it('gives identical displayable and scannable bytes for the same keys', async () => {
    for (let round = 0; round < 3; round++) {
      const alice = IdentityKeyPair.generate().publicKey.serialize();
      const bob = IdentityKeyPair.generate().publicKey.serialize();
      const aliceId = crypto.getRandomValues(new Uint8Array(16));
      const bobId = crypto.getRandomValues(new Uint8Array(16));
      const args = [FINGERPRINT_ITERATIONS, SCANNABLE_FINGERPRINT_VERSION, aliceId, alice, bobId, bob] as const;
      const ts = await engines.ts.safetyNumber(...args);
      const native = await engines.native.safetyNumber(...args);
      expect(ts.displayable).toBe(native.displayable);
      expect(toHex(ts.scannable)).toBe(toHex(native.scannable));
      // A code shown by one engine is accepted when scanned by the other.
      const bobNative = await engines.native.safetyNumber(FINGERPRINT_ITERATIONS, 2, bobId, bob, aliceId, alice);
      expect(await engines.ts.compareScannable(ts.scannable, bobNative.scannable)).toBe(true);
      expect(await engines.native.compareScannable(bobNative.scannable, ts.scannable)).toBe(true);
    }
  });
});

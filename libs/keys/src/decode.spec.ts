import { describe, expect, it } from '@jest/globals';
import { IdentityKeyPair, KEMKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import { nativeEngine } from '@pairchat/crypto/native';
import { tsEngine } from '@pairchat/crypto';
import { decodeKeysUpload, KeyValidationError } from './decode.js';
import { verifyKeysUpload } from './verify.js';
import type { KeysUploadRequest } from './wire.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A valid upload made by the reference implementation. */
function referenceUpload(): { upload: KeysUploadRequest; identity: IdentityKeyPair } {
  const identity = IdentityKeyPair.generate();
  const spk = PrivateKey.generate().getPublicKey().serialize();
  const kyber = () => KEMKeyPair.generate().getPublicKey().serialize();
  const lastResort = kyber();
  const oneTimeKyber = kyber();
  return {
    identity,
    upload: {
      identityKey: b64(identity.publicKey.serialize()),
      signedPreKey: { keyId: 1, publicKey: b64(spk), signature: b64(identity.privateKey.sign(spk)) },
      lastResortKyberPreKey: {
        keyId: 7,
        publicKey: b64(lastResort),
        signature: b64(identity.privateKey.sign(lastResort)),
      },
      preKeys: [
        { keyId: 1, publicKey: b64(PrivateKey.generate().getPublicKey().serialize()) },
        { keyId: 2, publicKey: b64(PrivateKey.generate().getPublicKey().serialize()) },
      ],
      kyberPreKeys: [
        { keyId: 8, publicKey: b64(oneTimeKyber), signature: b64(identity.privateKey.sign(oneTimeKyber)) },
      ],
    },
  };
}

const problems = (body: unknown): string[] => {
  try {
    decodeKeysUpload(body);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(KeyValidationError);
    return (error as KeyValidationError).errors.map((e) => `${e.field}: ${e.problem}`);
  }
};

describe(decodeKeysUpload.name, () => {
  it('decodes a reference upload to exact key bytes', () => {
    const { upload, identity } = referenceUpload();
    const decoded = decodeKeysUpload(upload);
    expect(decoded.identityKey).toEqual(new Uint8Array(identity.publicKey.serialize()));
    expect(decoded.lastResortKyberPreKey!.publicKey).toHaveLength(1569);
    expect(decoded.preKeys.map((k) => k.keyId)).toEqual([1, 2]);
  });

  it('names unknown fields and wrong types', () => {
    const { upload } = referenceUpload();
    expect(problems({ ...upload, extra: 1 })).toEqual([expect.stringContaining('extra')]);
    expect(problems({ ...upload, preKeys: [{ keyId: '1', publicKey: upload.preKeys![0]!.publicKey }] })).toEqual([
      expect.stringMatching(/^preKeys\[0\]\.keyId: /),
    ]);
  });

  it('names a wrong length or key type', () => {
    const { upload } = referenceUpload();
    const short = b64(new Uint8Array(32).fill(5));
    const wrongType = b64(Uint8Array.from([0x08, ...new Uint8Array(32)]));
    expect(problems({ ...upload, preKeys: [{ keyId: 3, publicKey: short }] })).toEqual([
      'preKeys[0].publicKey: expected 33 bytes, got 32',
    ]);
    expect(problems({ ...upload, identityKey: wrongType })).toEqual(['identityKey: expected key type 0x05, got 0x08']);
  });

  it('refuses duplicate ids and oversize batches', () => {
    const { upload } = referenceUpload();
    const [first] = upload.preKeys!;
    expect(problems({ ...upload, preKeys: [first, first] })).toEqual(['preKeys[1].keyId: duplicate id 1']);
    const many = Array.from({ length: 101 }, (_, i) => ({ ...first!, keyId: i + 1 }));
    expect(problems({ ...upload, preKeys: many })[0]).toMatch(/^preKeys: /);
  });

  it('refuses bad base64', () => {
    const { upload } = referenceUpload();
    expect(problems({ ...upload, identityKey: '!!!' })).toEqual(['identityKey: must be standard base64']);
  });
});

describe(verifyKeysUpload.name, () => {
  for (const engine of [tsEngine, nativeEngine]) {
    it(`accepts reference signatures and names a forged one (${engine.name})`, async () => {
      const { upload } = referenceUpload();
      expect(await verifyKeysUpload(decodeKeysUpload(upload), engine.keys)).toEqual([]);
      const forged = {
        ...upload,
        kyberPreKeys: [{ ...upload.kyberPreKeys![0]!, signature: upload.signedPreKey!.signature }],
      };
      expect(await verifyKeysUpload(decodeKeysUpload(forged), engine.keys)).toEqual([
        { field: 'kyberPreKeys[0].signature', problem: 'signature does not verify under the identity key' },
      ]);
    });
  }
});

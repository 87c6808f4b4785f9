import { IdentityKeyPair, KEMKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import type { KeysUploadRequest } from '@pairchat/keys';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export interface UploadOptions {
  /** Include a new signed EC prekey with this id (default 1); false leaves it out. */
  signedId?: number | false;
  /** Include a new last-resort Kyber prekey with this id (default 1000); false leaves it out. */
  lastResortId?: number | false;
  /** Number of one-time EC and Kyber prekeys, with ids from `firstId`. */
  ec?: number;
  kyber?: number;
  firstId?: number;
  registrationId?: number;
}

/** A valid `PUT /keys` body made with the reference implementation (fast, and independent of our engine). */
export function keyUpload(identity: IdentityKeyPair, options: UploadOptions = {}): KeysUploadRequest {
  const { signedId = 1, lastResortId = 1000, ec = 0, kyber = 0, firstId = 1, registrationId = 4242 } = options;
  const signedKyber = (keyId: number) => {
    const publicKey = KEMKeyPair.generate().getPublicKey().serialize();
    return { keyId, publicKey: b64(publicKey), signature: b64(identity.privateKey.sign(publicKey)) };
  };
  const upload: KeysUploadRequest = { identityKey: b64(identity.publicKey.serialize()), registrationId };
  if (signedId !== false) {
    const spk = PrivateKey.generate().getPublicKey().serialize();
    upload.signedPreKey = { keyId: signedId, publicKey: b64(spk), signature: b64(identity.privateKey.sign(spk)) };
  }
  if (lastResortId !== false) upload.lastResortKyberPreKey = signedKyber(lastResortId);
  if (ec) {
    upload.preKeys = Array.from({ length: ec }, (_, i) => ({
      keyId: firstId + i,
      publicKey: b64(PrivateKey.generate().getPublicKey().serialize()),
    }));
  }
  if (kyber) upload.kyberPreKeys = Array.from({ length: kyber }, (_, i) => signedKyber(firstId + i));
  return upload;
}

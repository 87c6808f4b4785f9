/**
 * PQXDH key agreement (wire notes §2, libsignal `rust/protocol/src/pqxdh.rs`): X25519 triple/quad DH
 * plus a Kyber1024-r3 encapsulation, hashed to root key, first chain key and SPQR auth key.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, defaultRng, utf8, wipe, type Rng } from './bytes.js';
import { PQXDH_DISCONTINUITY_BYTES, PQXDH_INFO, PQXDH_OUTPUT_LENGTH } from './constants.js';
import type { PrivateKey, PublicKey } from './curve.js';
import { ProtocolError } from './errors.js';
import type { KEMPublicKey, KEMSecretKey } from './kyber.js';

const INFO = utf8(PQXDH_INFO);

/** PQXDH output: root key, first chain key, SPQR auth key (32 bytes each). */
export interface PqxdhSecrets {
  rootKey: Uint8Array;
  chainKey: Uint8Array;
  pqrAuthKey: Uint8Array;
}

/**
 * The PQXDH KDF: `HKDF(0xFF×32 || parts, no salt, PQXDH_INFO, 96)` split into root key, chain key
 * and SPQR auth key. Wipes `parts`. Exported for vector tests.
 */
export function derivePqxdhSecrets(parts: Uint8Array[]): PqxdhSecrets {
  const ikm = concat(new Uint8Array(PQXDH_DISCONTINUITY_BYTES).fill(0xff), ...parts);
  const okm = hkdf(sha256, ikm, undefined, INFO, PQXDH_OUTPUT_LENGTH);
  const out = { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64), pqrAuthKey: okm.slice(64, 96) };
  wipe(ikm, okm, ...parts);
  return out;
}

/**
 * Waits for the concurrent agreements after `error` was thrown on the main thread, wipes their
 * outputs and returns the error to throw: an agreement's own error first (the order of the
 * sequential code), then `error`.
 */
async function settleFirstError(dh: Promise<Uint8Array[]>, error: unknown): Promise<unknown> {
  if (error instanceof ProtocolError && error.code === 'InvalidMessage') return error;
  try {
    wipe(...(await dh));
    return error;
  } catch (dhError) {
    return dhError;
  }
}

/**
 * Alice's side: `DH(IK_A, SPK_B) || DH(EK_A, IK_B) || DH(EK_A, SPK_B) || [DH(EK_A, OPK_B)] || SS`.
 * @returns the secrets and the Kyber ciphertext (`0x08 || c`) to send
 */
export async function pqxdhInitiate(p: {
  ourIdentity: PrivateKey;
  ourBaseKey: PrivateKey;
  theirIdentity: PublicKey;
  theirSignedPreKey: PublicKey;
  theirOneTimePreKey?: PublicKey;
  theirKyberPreKey: KEMPublicKey;
  rng?: Rng;
}): Promise<PqxdhSecrets & { kyberCiphertext: Uint8Array }> {
  // The agreements run concurrently (WebCrypto works off the main thread) while the KEM runs here.
  const dh = Promise.all([
    p.ourIdentity.agree(p.theirSignedPreKey),
    p.ourBaseKey.agree(p.theirIdentity),
    p.ourBaseKey.agree(p.theirSignedPreKey),
    ...(p.theirOneTimePreKey ? [p.ourBaseKey.agree(p.theirOneTimePreKey)] : []),
  ]);
  let kem: { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  try {
    kem = p.theirKyberPreKey.encapsulate(p.rng ?? defaultRng);
  } catch (e) {
    throw await settleFirstError(dh, e);
  }
  const parts = await dh.catch((e: unknown) => {
    wipe(kem.sharedSecret);
    throw e;
  });
  parts.push(kem.sharedSecret);
  return { ...derivePqxdhSecrets(parts), kyberCiphertext: kem.ciphertext };
}

/**
 * Bob's side, mirrored: `DH(SPK_B, IK_A) || DH(IK_B, EK_A) || DH(SPK_B, EK_A) || [DH(OPK_B, EK_A)] ||
 * Decaps(KPK_B, CT)`. The base key must be canonical (libsignal `is_canonical`).
 * @throws ProtocolError `InvalidMessage` on a non-canonical base key, KEM errors on a bad ciphertext
 */
export async function pqxdhRespond(p: {
  ourIdentity: PrivateKey;
  ourSignedPreKey: PrivateKey;
  ourOneTimePreKey?: PrivateKey;
  ourKyberPreKey: KEMSecretKey;
  theirIdentity: PublicKey;
  theirBaseKey: PublicKey;
  kyberCiphertext: Uint8Array;
}): Promise<PqxdhSecrets> {
  const dh = Promise.all([
    p.ourSignedPreKey.agree(p.theirIdentity),
    p.ourIdentity.agree(p.theirBaseKey),
    p.ourSignedPreKey.agree(p.theirBaseKey),
    ...(p.ourOneTimePreKey ? [p.ourOneTimePreKey.agree(p.theirBaseKey)] : []),
  ]);
  let kemSecret: Uint8Array;
  try {
    // checked while the agreements run; its error still comes first
    if (!p.theirBaseKey.isCanonical()) {
      await dh.then(
        (parts) => wipe(...parts),
        () => undefined,
      );
      throw new ProtocolError('InvalidMessage', 'incoming base key is invalid');
    }
    kemSecret = p.ourKyberPreKey.decapsulate(p.kyberCiphertext);
  } catch (e) {
    throw await settleFirstError(dh, e);
  }
  const parts = await dh.catch((e: unknown) => {
    wipe(kemSecret);
    throw e;
  });
  parts.push(kemSecret);
  return derivePqxdhSecrets(parts);
}
